package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
)

// Span attributes of a delivery.
const (
	attrSource     = "leadhook.source"
	attrRequestID  = "leadhook.request_id"
	attrDeliveryID = "leadhook.delivery_id"
	attrStatus     = "http.response.status_code"
)

// beginDelivery gives ctx the delivery's scope (request id, and the id the
// sender claims until the real delivery id is known) and starts its span,
// continuing the sender's trace when the request carries a traceparent.
func (s *Service) beginDelivery(ctx context.Context, name string, req *webhook.Request) (context.Context, trace.Span, string) {
	ctx, reqID := obs.BeginRequest(ctx, req.Header)
	obs.Set(ctx, obs.KeyDeliveryID, claimedID(req.Header))
	ctx = obs.Extract(ctx, req.Header)
	if !s.tracing() {
		// ctx keeps the sender's trace, if any (log lines' trace_id); the
		// span's options would be built for nothing.
		ctx, span := obs.Start(ctx, s.tracer, "delivery")
		return ctx, span, reqID
	}
	ctx, span := s.tracer.Start(ctx, "delivery", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String(attrSource, name), attribute.String(attrRequestID, reqID)))
	return ctx, span, reqID
}

// tracing reports whether spans are exported (a tracer provider was
// given): without, the per-delivery span attributes are not built.
func (s *Service) tracing() bool { return obs.Tracing(s.tracer) }

// endDelivery echoes the request id on the answer and ends the span with
// its status (an error from 500 up: a 4xx is the sender's).
func endDelivery(ctx context.Context, span trace.Span, reqID string, resp *Response) {
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set(obs.RequestIDHeader, reqID)
	if !span.IsRecording() {
		span.End()
		return
	}
	if id := obs.Get(ctx, obs.KeyDeliveryID); id != "" {
		span.SetAttributes(attribute.String(attrDeliveryID, id))
	}
	span.SetAttributes(attribute.Int(attrStatus, resp.Status))
	if resp.Status >= 500 {
		span.SetStatus(codes.Error, "answered "+strconv.Itoa(resp.Status))
	}
	span.End()
}

// setDeliveryID names the delivery in its scope (and so on every later
// log line) once its id is known.
func setDeliveryID(ctx context.Context, id string) {
	obs.Set(ctx, obs.KeyDeliveryID, id)
}

// claimedID is the delivery id the headers claim (Webhook-Id, Svix-Id,
// Idempotency-Key): what lines logged before the body is parsed (a failed
// authentication, a rejected body) can name.
func claimedID(h http.Header) string {
	for _, k := range []string{"Webhook-Id", "Svix-Id", "Idempotency-Key"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" && len(v) <= webhook.MaxDeliveryID {
			return v
		}
	}
	return ""
}

// step runs fn in a child span named name (verify, parse).
func (s *Service) step(ctx context.Context, name string, fn func() error) error {
	_, span := obs.Start(ctx, s.tracer, name)
	defer span.End()
	err := fn()
	if err != nil {
		span.SetStatus(codes.Error, name+" failed")
	}
	return err
}
