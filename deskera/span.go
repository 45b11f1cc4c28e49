package deskera

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span attributes of a Deskera call.
const (
	attrOp       = "deskera.op"
	attrMethod   = "http.request.method"
	attrStatus   = "http.response.status_code"
	attrAttempts = "deskera.attempts"
)

// startSpan starts the client span of one call (its retries included);
// without a tracer provider none is started (nil span: no attributes to
// build per call), and the caller's traceparent, if any, is still sent.
func (c *Client) startSpan(ctx context.Context, r *request) (context.Context, trace.Span) {
	if !c.tracing {
		return ctx, nil
	}
	return c.tracer.Start(ctx, "deskera "+r.op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String(attrOp, r.op), attribute.String(attrMethod, r.method),
			attribute.String("url.path", r.path)))
}

// endSpan records the final status and attempts; an error marks the span
// failed without its message (Deskera's answers may quote the contact's
// email or phone, which must not reach a trace backend).
func endSpan(span trace.Span, r *request, err error) {
	if span == nil {
		return
	}
	span.SetAttributes(attribute.Int(attrStatus, r.status), attribute.Int(attrAttempts, r.attempts))
	if err != nil {
		span.SetStatus(codes.Error, "deskera call failed")
	}
	span.End()
}
