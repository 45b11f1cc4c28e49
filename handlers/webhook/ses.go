package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Amazon SES inbound mail delivered by an SNS topic over HTTP(S). The body
// is the SNS envelope (verified by the sns verifier); a Notification
// carries the SES notification as a JSON string in Message, with the raw
// MIME message in content. A SubscriptionConfirmation is reported (Parsed.Confirm) for the
// caller to confirm by a GET of SubscribeURL, only for a topic listed in auth.topic_arns and only to
// an https://sns.<region>.amazonaws.com host. A Lambda SimpleEmailEvent
// ({"Records":[{"ses":...}]}, no body) is accepted too, but never on a
// source whose auth is sns: the SNS signature covers only the envelope's
// signed keys (Message, MessageId, Subject, Timestamp, TopicArn, Type), so
// only the signed Message may be read, and a body with any other key that
// we would act on (Records) is refused.

// sesConfirmTimeout bounds the SubscribeURL GET.
const sesConfirmTimeout = 10 * time.Second

// snsEnvelope is the SNS HTTP(S) message (Type Notification,
// SubscriptionConfirmation or UnsubscribeConfirmation).
type snsEnvelope struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token"`
	TopicArn         string  `json:"TopicArn"`
	Subject          *string `json:"Subject"`
	Message          string  `json:"Message"`
	SubscribeURL     string  `json:"SubscribeURL"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
}

type sesParser struct {
	src rules.Source
}

func newSESParser(src rules.Source, _ Options) Parser {
	return &sesParser{src: src}
}

// Parse implements Parser. It makes no network call: a
// SubscriptionConfirmation it accepts comes back as Parsed.Confirm for
// the caller to confirm (ConfirmSubscription) under the request's context.
func (p *sesParser) Parse(_ context.Context, req *Request) (*Parsed, error) {
	var probe struct {
		Records []sesRecord `json:"Records"`
		snsEnvelope
	}
	if err := json.Unmarshal(req.Body, &probe); err != nil {
		return nil, BadRequest("body", "invalid SNS JSON: %v", err)
	}
	if p.src.Auth.Type == "sns" {
		if probe.Records != nil {
			return nil, BadRequest("Records", "not allowed in an SNS message: only the signed Message is read")
		}
	} else if probe.Records != nil {
		return p.parseRecords(req, probe.Records)
	}
	env := &probe.snsEnvelope
	switch env.Type {
	case "SubscriptionConfirmation":
		return p.subscription(env)
	case "UnsubscribeConfirmation":
		return &Parsed{DeliveryID: env.MessageID, Reply: &Reply{Status: http.StatusOK, Body: map[string]string{"status": "ignored"}}}, nil
	case "Notification":
		return p.parseNotification(req, env)
	default:
		return nil, BadRequest("Type", "unsupported SNS message type %q", env.Type)
	}
}

// subscription checks a SubscriptionConfirmation (an allowed topic, an
// SNS host) and reports it; the GET is the caller's.
func (p *sesParser) subscription(env *snsEnvelope) (*Parsed, error) {
	if !slices.Contains(p.src.Auth.TopicARNs, env.TopicArn) {
		return nil, &Error{Status: http.StatusForbidden, Field: "TopicArn", Message: fmt.Sprintf("topic %q is not in auth.topic_arns", env.TopicArn)}
	}
	if !snsURLAllowed(env.SubscribeURL, false) {
		return nil, BadRequest("SubscribeURL", "not an https://sns.<region>.amazonaws.com URL")
	}
	return &Parsed{
		DeliveryID: env.MessageID,
		Confirm:    &Subscription{TopicARN: env.TopicArn, URL: env.SubscribeURL},
		Reply:      &Reply{Status: http.StatusOK, Body: map[string]string{"status": "subscribed"}},
	}, nil
}

// Subscription is an SNS SubscriptionConfirmation a parser accepted: its
// topic is allowed and URL is on an SNS host. The caller confirms it with
// ConfirmSubscription before answering Parsed.Reply.
type Subscription struct {
	TopicARN string
	URL      string
}

// ConfirmSubscription confirms s by a GET of its URL under ctx (the
// request's), bounded by sesConfirmTimeout, with opts.HTTPClient (never
// following redirects). A failure is a 503: AWS retries the confirmation.
func ConfirmSubscription(ctx context.Context, opts Options, s *Subscription) error {
	if !snsURLAllowed(s.URL, false) {
		return BadRequest("SubscribeURL", "not an https://sns.<region>.amazonaws.com URL")
	}
	ctx, cancel := context.WithTimeout(ctx, sesConfirmTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return BadRequest("SubscribeURL", "invalid URL")
	}
	resp, err := snsHTTPClient(opts).Do(req)
	if err != nil {
		return &Error{Status: http.StatusServiceUnavailable, Field: "SubscribeURL", Message: "subscription confirmation failed"}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return &Error{Status: http.StatusServiceUnavailable, Field: "SubscribeURL",
			Message: fmt.Sprintf("subscription confirmation answered %d", resp.StatusCode)}
	}
	return nil
}

// sesNotification is the SES receipt notification (the SNS Message).
type sesNotification struct {
	NotificationType string      `json:"notificationType"`
	Mail             *sesMail    `json:"mail"`
	Receipt          *sesReceipt `json:"receipt"`
	Content          string      `json:"content"`
}

type sesRecord struct {
	EventSource string `json:"eventSource"`
	SES         struct {
		Mail    *sesMail    `json:"mail"`
		Receipt *sesReceipt `json:"receipt"`
	} `json:"ses"`
}

func (p *sesParser) parseNotification(req *Request, env *snsEnvelope) (*Parsed, error) {
	if len(p.src.Auth.TopicARNs) > 0 && !slices.Contains(p.src.Auth.TopicARNs, env.TopicArn) {
		return nil, &Error{Status: http.StatusForbidden, Field: "TopicArn", Message: fmt.Sprintf("topic %q is not in auth.topic_arns", env.TopicArn)}
	}
	var n sesNotification
	if err := json.Unmarshal([]byte(env.Message), &n); err != nil {
		return nil, BadRequest("Message", "not an SES notification: %v", err)
	}
	if n.NotificationType != "Received" || n.Mail == nil {
		return nil, BadRequest("Message", "unsupported SES notification type %q", n.NotificationType)
	}
	ev, err := sesEvent(p.src, req, n.Mail, n.Receipt, n.Content)
	if err != nil {
		return nil, err
	}
	ev.ID = env.MessageID
	ev.Fields["topic_arn"] = env.TopicArn
	return oneEvent(ev, env.MessageID), nil
}

func (p *sesParser) parseRecords(req *Request, recs []sesRecord) (*Parsed, error) {
	out := &Parsed{}
	for i, r := range recs {
		if r.SES.Mail == nil {
			return nil, BadRequest(fmt.Sprintf("Records[%d].ses.mail", i), "missing")
		}
		ev, err := sesEvent(p.src, req, r.SES.Mail, r.SES.Receipt, "")
		if err != nil {
			return nil, err
		}
		ev.ID = r.SES.Mail.MessageID
		out.Events = append(out.Events, ev)
	}
	if len(out.Events) == 0 {
		return nil, BadRequest("Records", "empty")
	}
	if len(out.Events) == 1 {
		out.DeliveryID = out.Events[0].ID
	}
	return out, nil
}

// sesDecodeContent returns the raw MIME message (UTF-8 or Base64 per the
// receipt rule's encoding).
func sesDecodeContent(content string, rc *sesReceipt) ([]byte, error) {
	if rc != nil && strings.EqualFold(rc.Action.Encoding, "BASE64") {
		return base64.StdEncoding.DecodeString(strings.TrimSpace(content))
	}
	return []byte(content), nil
}
