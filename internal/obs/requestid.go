package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"go.opentelemetry.io/otel/trace"
)

// RequestIDHeader is read from requests and echoed on every answer.
const RequestIDHeader = "X-Request-Id"

// maxRequestID bounds a request id taken from a header.
const maxRequestID = 128

// BeginRequest makes sure ctx has a scope with a request id and returns
// it: one already set (by the transport) is kept; else the X-Request-Id
// header when it is a sane token, else the trace id of a valid W3C
// traceparent, else a random 32-hex-digit id.
func BeginRequest(ctx context.Context, h http.Header) (context.Context, string) {
	ctx = EnsureScope(ctx)
	if id := RequestID(ctx); id != "" {
		return ctx, id
	}
	id := RequestIDFromHeader(h)
	if id == "" {
		id = NewID()
	}
	Set(ctx, KeyRequestID, id)
	return ctx, id
}

// RequestIDFromHeader is the request id a request names: its X-Request-Id
// (printable ASCII without spaces or quotes, at most 128 bytes; anything
// else is ignored, so a log line never carries what a sender smuggled in),
// else the trace id of its traceparent; "" when neither.
func RequestIDFromHeader(h http.Header) string {
	if v := h.Get(RequestIDHeader); validToken(v) {
		return v
	}
	sc := trace.SpanContextFromContext(extract(context.Background(), h))
	if sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

func validToken(v string) bool {
	if v == "" || len(v) > maxRequestID {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// NewID returns a random id of 32 hex digits (the shape of a trace id).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
