// Package webhook turns raw inbound HTTP requests into rules events: it
// authenticates them (signature schemes, tokens, IP allow-lists) and parses
// each provider's format (HTML forms, JSON, Typeform, Mailgun, SNS, ...).
// It is transport-neutral: the Gin server and the Lambda adapters both
// build a Request and call the same code.
package webhook

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Request is one inbound delivery, as received, before any parsing.
type Request struct {
	Method string
	// Path is the request path, e.g. /hooks/website.
	Path string
	// Header holds the request headers (canonicalised keys).
	Header http.Header
	// Query holds the URL query parameters.
	Query url.Values
	// Body is the raw body, exactly as received (signatures cover these bytes).
	Body []byte
	// RemoteIP is the sender's address after the trusted-proxy rules were
	// applied.
	RemoteIP string
	// ReceivedAt is when the delivery arrived.
	ReceivedAt time.Time
}

// ContentType returns the media type of the request (without parameters),
// lowercased; "" when absent.
func (r *Request) ContentType() string {
	return mediaType(r.Header.Get("Content-Type"))
}

// Parsed is what a Parser makes of a Request.
type Parsed struct {
	// Events are the normalised events; most formats yield exactly one, a
	// CloudEvents batch yields several. Source, Kind and ReceivedAt are set.
	Events []rules.Event
	// DeliveryID is the provider's delivery identifier used for
	// idempotency (Typeform event_id, Mailgun token, SNS MessageId, ...);
	// empty when the format has none.
	DeliveryID string
	// Reply, when non-nil, is answered to the sender instead of running the
	// rules (SNS SubscriptionConfirmation, CloudEvents OPTIONS handshake).
	Reply *Reply
	// Confirm, when non-nil, is an SNS subscription the caller must
	// confirm (ConfirmSubscription, under the request's context) before
	// answering Reply; parsers make no network calls themselves.
	Confirm *Subscription
}

// Reply is a protocol answer that bypasses rule evaluation.
type Reply struct {
	Status int
	Header http.Header
	Body   any
}

// Parser parses one format. Implementations must not retain req.Body.
// A malformed request yields an *Error with a 4xx status.
type Parser interface {
	Parse(ctx context.Context, req *Request) (*Parsed, error)
}

// ParserFunc adapts a function to Parser.
type ParserFunc func(ctx context.Context, req *Request) (*Parsed, error)

// Parse calls f(req).
func (f ParserFunc) Parse(ctx context.Context, req *Request) (*Parsed, error) { return f(ctx, req) }

// Verifier authenticates a Request. A failure returns an *Error with
// status 401 whose message reveals nothing about the expected value.
type Verifier interface {
	Verify(ctx context.Context, req *Request) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, req *Request) error

// Verify calls f(req).
func (f VerifierFunc) Verify(ctx context.Context, req *Request) error { return f(ctx, req) }

// Error is a client error with the HTTP status to answer and a message
// naming the problem (and the field, where there is one).
type Error struct {
	Status  int
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// oneEvent is the Parsed of a delivery with one event, in one allocation.
func oneEvent(ev rules.Event, deliveryID string) *Parsed {
	p := &struct {
		Parsed
		one [1]rules.Event
	}{}
	p.one[0] = ev
	p.Events, p.DeliveryID = p.one[:], deliveryID
	return &p.Parsed
}
