package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/internal/obs"
)

// TestRequestIDFromHeader: X-Request-Id when it is a sane token, else the
// traceparent's trace id, else nothing.
func TestRequestIDFromHeader(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name   string
		header map[string]string
		want   string
	}{
		{name: "X-Request-Id", header: map[string]string{"X-Request-Id": "req-1"}, want: "req-1"},
		{name: "X-Request-Id over traceparent", header: map[string]string{"X-Request-Id": "req-1", "Traceparent": tp}, want: "req-1"},
		{name: "traceparent", header: map[string]string{"Traceparent": tp}, want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "spaces are not an id", header: map[string]string{"X-Request-Id": "a b", "Traceparent": tp}, want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "quotes are not an id", header: map[string]string{"X-Request-Id": `a"b`}, want: ""},
		{name: "too long", header: map[string]string{"X-Request-Id": strings.Repeat("a", 129)}, want: ""},
		{name: "128 bytes", header: map[string]string{"X-Request-Id": strings.Repeat("a", 128)}, want: strings.Repeat("a", 128)},
		{name: "non-ASCII", header: map[string]string{"X-Request-Id": "réq"}, want: ""},
		{name: "invalid traceparent", header: map[string]string{"Traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, want: ""},
		{name: "nothing", header: nil, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			if got := obs.RequestIDFromHeader(h); got != tc.want {
				t.Errorf("RequestIDFromHeader = %q, want %q", got, tc.want)
			}
		})
	}
	// Without a traceparent, reading none allocates nothing.
	h := http.Header{"Content-Type": {"application/json"}}
	if n := testing.AllocsPerRun(10, func() { obs.RequestIDFromHeader(h); obs.Extract(context.Background(), h) }); n != 0 {
		t.Errorf("no traceparent: %v allocations, want 0", n)
	}
}

// TestBeginRequest: a request id already in the scope is kept; otherwise
// the header's, else a new random one (a different one each time).
func TestBeginRequest(t *testing.T) {
	ctx, id := obs.BeginRequest(context.Background(), http.Header{"X-Request-Id": {"req-1"}})
	if id != "req-1" || obs.RequestID(ctx) != "req-1" {
		t.Fatalf("id %q, scope %q", id, obs.RequestID(ctx))
	}
	if _, again := obs.BeginRequest(ctx, http.Header{"X-Request-Id": {"req-2"}}); again != "req-1" {
		t.Errorf("a second BeginRequest in the same scope gave %q, want req-1 kept", again)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	_, a := obs.BeginRequest(context.Background(), http.Header{})
	_, b := obs.BeginRequest(context.Background(), http.Header{})
	if !hex32.MatchString(a) || !hex32.MatchString(b) || a == b {
		t.Errorf("generated ids %q, %q: want two distinct 32-hex-digit ids", a, b)
	}
}

// TestScopes: a new scope inherits its parent's attributes and keeps its
// own; Set replaces a key; an empty string is not set.
func TestScopes(t *testing.T) {
	inv := obs.NewScope(context.Background())
	obs.Set(inv, "aws_request_id", "aws-1")
	one, two := obs.NewScope(inv), obs.NewScope(inv)
	obs.Set(one, obs.KeyDeliveryID, "d-1")
	obs.Set(one, obs.KeyDeliveryID, "d-1b")
	obs.Set(two, obs.KeyDeliveryID, "d-2")
	obs.Set(two, obs.KeyRequestID, "")
	for _, tc := range []struct {
		ctx  context.Context
		want string
	}{{one, "aws_request_id=aws-1 delivery_id=d-1b"}, {two, "aws_request_id=aws-1 delivery_id=d-2"}, {inv, "aws_request_id=aws-1"}} {
		var parts []string
		for _, a := range obs.Attrs(tc.ctx) {
			parts = append(parts, a.String())
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("attrs %q, want %q", got, tc.want)
		}
	}
	obs.Set(context.Background(), "k", "v") // no scope: nothing, no panic
	if obs.EnsureScope(one) != one {
		t.Error("EnsureScope replaced an existing scope")
	}
	// A delivery's scope and its ids: the scope and its context, no more.
	if n := testing.AllocsPerRun(10, func() {
		ctx := obs.NewScope(context.Background())
		obs.Set(ctx, obs.KeyRequestID, "req-1")
		obs.Set(ctx, obs.KeyDeliveryID, "d-1")
	}); n > 2 {
		t.Errorf("a scope with two ids: %v allocations, want 2", n)
	}
}

// TestLoggerAddsScopeAndTrace: a wrapped logger adds the scope's
// attributes and the span's trace and span ids to lines logged with the
// context, keeps them off lines logged without, and wrapping twice adds
// nothing twice.
func TestLoggerAddsScopeAndTrace(t *testing.T) {
	var buf bytes.Buffer
	log := obs.Logger(obs.Logger(slog.New(slog.NewJSONHandler(&buf, nil)))).With("component", "test")
	ctx := obs.NewScope(context.Background())
	obs.Set(ctx, obs.KeyRequestID, "req-1")
	obs.Set(ctx, obs.KeyDeliveryID, "d-1")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	log.InfoContext(ctx, "with", "n", 1)
	log.Info("without")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	if want := `"component":"test","n":1,"request_id":"req-1","delivery_id":"d-1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}`; !strings.HasSuffix(lines[0], want) {
		t.Errorf("line %s, want it to end %s", lines[0], want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &m); err != nil || m["request_id"] != nil || m["trace_id"] != nil {
		t.Errorf("line without a context carries ids: %s", lines[1])
	}
}

// TestScopeConcurrentUse: lines logged while the scope is being filled
// (the service and the Deskera client share one) are race-free.
func TestScopeConcurrentUse(t *testing.T) {
	log := obs.Logger(slog.New(slog.DiscardHandler))
	ctx := obs.NewScope(context.Background())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			obs.Set(ctx, obs.KeyDeliveryID, strconv.Itoa(i))
			log.InfoContext(ctx, "line")
		})
	}
	wg.Wait()
}

// TestMillis: durations in log lines are milliseconds to the microsecond.
func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want float64
	}{{1500 * time.Microsecond, 1.5}, {2 * time.Second, 2000}, {1234567 * time.Nanosecond, 1.235}, {0, 0}} {
		if got := obs.Millis(tc.d); got != tc.want {
			t.Errorf("Millis(%v) = %v, want %v", tc.d, got, tc.want)
		}
	}
}

// TestStart: without a tracer provider Start starts nothing (ctx as it
// is, the sender's span context kept, a span that records nothing and
// allocates nothing); with one it starts a recording child span.
func TestStart(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sender := trace.ContextWithRemoteSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))
	tests := []struct {
		name      string
		tp        trace.TracerProvider
		tracing   bool
		recording bool
	}{
		{name: "no tracer provider", tp: nil},
		{name: "a tracer provider", tp: sdktrace.NewTracerProvider(), tracing: true, recording: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := obs.Tracer(tc.tp)
			if got := obs.Tracing(tr); got != tc.tracing {
				t.Errorf("Tracing = %v, want %v", got, tc.tracing)
			}
			ctx, span := obs.Start(sender, tr, "step")
			defer span.End()
			if span.IsRecording() != tc.recording {
				t.Errorf("span recording %v, want %v", span.IsRecording(), tc.recording)
			}
			if got := trace.SpanContextFromContext(ctx).TraceID(); got != tid {
				t.Errorf("trace %s, want the sender's %s", got, tid)
			}
			if !tc.tracing && ctx != sender {
				t.Error("no tracer provider: ctx is not the caller's")
			}
			if !tc.tracing {
				if n := testing.AllocsPerRun(10, func() { _, s := obs.Start(sender, tr, "step"); s.End() }); n != 0 {
					t.Errorf("%v allocations a span, want 0", n)
				}
			}
		})
	}
}
