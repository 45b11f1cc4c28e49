package obs

import (
	"context"
	"math"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracerName names leadhook's tracer (the instrumentation scope).
const TracerName = "github.com/leadhook/leadhook"

// Tracer returns leadhook's tracer from tp; a nil tp traces nothing.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(TracerName)
}

// Tracing reports whether t records spans: false for the no-op tracer
// that Tracer(nil) gives.
func Tracing(t trace.Tracer) bool {
	_, off := t.(noop.Tracer)
	return !off
}

// Start is t.Start, but with the no-op tracer it starts nothing: ctx is
// returned as it is (the no-op tracer's only work is a context carrying
// a span that does nothing) with a span that does nothing, so the hot
// path allocates no context per span when tracing is off. ctx keeps the
// span context it has (a sender's traceparent: log lines' trace_id).
func Start(ctx context.Context, t trace.Tracer, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !Tracing(t) {
		return ctx, trace.SpanFromContext(context.Background()) // the shared no-op span
	}
	return t.Start(ctx, name, opts...)
}

// Propagator is the W3C trace context (traceparent, tracestate): what
// leadhook reads from deliveries and sends to Deskera.
func Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// Extract returns ctx with the remote span context of h's traceparent,
// when it has a valid one; otherwise ctx as it is (keeping a span it may
// already carry).
func Extract(ctx context.Context, h http.Header) context.Context {
	if h == nil {
		return ctx
	}
	out := extract(ctx, h)
	if !trace.SpanContextFromContext(out).IsValid() {
		return ctx
	}
	return out
}

// traceparentHeader is traceparent as an http.Header keys it.
const traceparentHeader = "Traceparent"

// extract is the propagator's Extract from h, skipped when h has no
// traceparent (the propagator would return ctx as it is): its lookup by
// the lower-case name canonicalises it, an allocation per request.
func extract(ctx context.Context, h http.Header) context.Context {
	if h.Get(traceparentHeader) == "" {
		return ctx
	}
	return Propagator().Extract(ctx, propagation.HeaderCarrier(h))
}

// Injects reports whether Inject sets anything from ctx: whether ctx
// carries a valid span context (the W3C propagator sets nothing
// otherwise).
func Injects(ctx context.Context) bool { return trace.SpanContextFromContext(ctx).IsValid() }

// Inject sets traceparent (and tracestate) on h from ctx's span.
func Inject(ctx context.Context, h http.Header) {
	Propagator().Inject(ctx, propagation.HeaderCarrier(h))
}

// Millis is d in milliseconds with microsecond precision: the unit of
// every duration_ms (and *_ms) log attribute.
func Millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
