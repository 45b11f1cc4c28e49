package lambda

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers/webhook"
)

// Message attributes with a meaning to the adapter. Every other String or
// Number attribute is passed to the source as a request header of the
// same name (a producer can forward a webhook's signature headers). So a
// producer continues its trace with a `traceparent` (and `tracestate`)
// attribute and names its request with `X-Request-Id`: the service reads
// them from the headers as from an HTTP delivery's (see obs.BeginRequest,
// obs.Extract).
const (
	attrSource      = "source"
	attrContentType = "content_type"
)

// hookSegment is the path segment before the source name: /hooks/{source}.
const hookSegment = "hooks"

// errNoSource is returned for a record that names no source when no
// default is configured.
var errNoSource = errors.New("no source: set the message attribute \"source\" or a default SQS source")

// delivery is one queued record turned into a request for a source.
type delivery struct {
	source string
	req    *webhook.Request
	// skip, when set, says why there is nothing to deliver (an SNS
	// subscription handshake that reached a plain source).
	skip string
}

// recordOptions are what turning a record into a delivery depends on.
type recordOptions struct {
	defaultSource string
	// snsAware reports whether a source's parser reads SNS envelopes
	// itself (format ses); other sources get the unwrapped Message.
	snsAware func(source string) bool
	now      time.Time
}

// sqsDelivery turns one SQS record into a delivery. The source comes from
// the record's `source` attribute, then (for an SNS envelope) the SNS
// message attribute of that name, then the default.
func sqsDelivery(rec *events.SQSMessage, opts recordOptions) (*delivery, error) {
	body := []byte(rec.Body)
	header := attributeHeaders(rec.MessageAttributes)
	source := sqsAttribute(rec.MessageAttributes, attrSource)
	received := sentAt(rec.Attributes, opts.now)
	if env := parseSNSEnvelope(body); env != nil {
		return snsDelivery(env, body, source, header, received, opts)
	}
	setDeliveryID(header, rec.MessageId)
	return newDelivery(source, header, body, received, opts)
}

// snsDelivery delivers an SNS envelope: as is, with the headers SNS sends
// over HTTP, to a source whose parser reads SNS (format ses); unwrapped to
// its Message for any other source. Subscription handshakes have nothing
// for other sources and are skipped.
func snsDelivery(env *snsEnvelope, raw []byte, source string, header http.Header, received time.Time, opts recordOptions) (*delivery, error) {
	if source == "" {
		source = env.attribute(attrSource)
	}
	if source == "" {
		source = opts.defaultSource
	}
	setDeliveryID(header, env.MessageID)
	if source != "" && opts.snsAware != nil && opts.snsAware(source) {
		for k, vs := range snsHeaders(env) {
			header[k] = vs
		}
		return newDelivery(source, header, raw, received, opts)
	}
	if env.Type != snsNotification {
		return &delivery{source: source, skip: fmt.Sprintf("sns %s for a source that does not read SNS", env.Type)}, nil
	}
	for name, a := range env.MessageAttributes {
		if a.Type == "String" || a.Type == "Number" {
			addAttributeHeader(header, name, a.Value, false)
		}
	}
	return newDelivery(source, header, []byte(env.Message), received, opts)
}

func newDelivery(source string, header http.Header, body []byte, received time.Time, opts recordOptions) (*delivery, error) {
	if source == "" {
		source = opts.defaultSource
	}
	if source == "" {
		return nil, errNoSource
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", sniffContentType(body))
	}
	req := &webhook.Request{
		Method:     http.MethodPost,
		Path:       "/" + hookSegment + "/" + source,
		Header:     header,
		Query:      url.Values{},
		Body:       body,
		ReceivedAt: received,
	}
	return &delivery{source: source, req: req}, nil
}

// setDeliveryID makes id the delivery id (Idempotency-Key) unless the
// producer gave one in a message attribute: a redelivered message then
// acts once. SNS envelopes use the SNS MessageId, which stays the same
// when SNS delivers a message twice.
func setDeliveryID(h http.Header, id string) {
	if id == "" {
		return
	}
	for _, k := range []string{"Webhook-Id", "Svix-Id", "Idempotency-Key"} { // the service's delivery-id headers
		if h.Get(k) != "" {
			return
		}
	}
	h.Set("Idempotency-Key", id)
}

// attributeHeaders copies String and Number message attributes, other
// than source, into request headers; content_type becomes Content-Type.
func attributeHeaders(attrs map[string]events.SQSMessageAttribute) http.Header {
	h := http.Header{}
	for name, a := range attrs {
		if a.StringValue != nil && !strings.HasPrefix(a.DataType, "Binary") {
			addAttributeHeader(h, name, *a.StringValue, true)
		}
	}
	return h
}

// addAttributeHeader sets the header for one message attribute (source
// excluded); without replace, a header already set is kept.
func addAttributeHeader(h http.Header, name, value string, replace bool) {
	if name == attrSource {
		return
	}
	if strings.EqualFold(name, attrContentType) || strings.EqualFold(name, "content-type") {
		name = "Content-Type"
	}
	if replace || h.Get(name) == "" {
		h.Set(name, value)
	}
}

func sqsAttribute(attrs map[string]events.SQSMessageAttribute, name string) string {
	if a, ok := attrs[name]; ok && a.StringValue != nil {
		return strings.TrimSpace(*a.StringValue)
	}
	return ""
}

// sniffContentType picks JSON for bodies that are JSON, plain text
// otherwise; a producer sets the content_type attribute to be exact.
func sniffContentType(body []byte) string {
	if json.Valid(body) {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// sentAt is the record's SentTimestamp (epoch milliseconds), or now.
func sentAt(attrs map[string]string, now time.Time) time.Time {
	ms, err := strconv.ParseInt(attrs["SentTimestamp"], 10, 64)
	if err != nil || ms <= 0 {
		return now
	}
	return time.UnixMilli(ms).UTC()
}

// isFIFO reports whether a record came from a FIFO queue: after a failure
// the rest of its batch must not be processed out of order.
func isFIFO(rec *events.SQSMessage) bool {
	return strings.HasSuffix(rec.EventSourceARN, ".fifo")
}
