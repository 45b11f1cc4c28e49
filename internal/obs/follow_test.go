package obs_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/internal/gintest"
	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/internal/syncbuf"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestMain(m *testing.M) { gintest.Main(m) }

const websiteSecret = "test-website-secret" // testdata/rules.yaml

// followed is one leadhook (router, Lambda handler, service, engine,
// Deskera client) over a fake Deskera, with every log line and span it
// produces captured, and the traceparent of every request Deskera got.
type followed struct {
	logs   *syncbuf.Buffer
	from   int // where the delivery's lines start in logs
	spans  *tracetest.InMemoryExporter
	router http.Handler
	lambda *lambda.Handler
	fake   *deskeratest.Fake

	mu           sync.Mutex
	traceparents []string
}

func newFollowed(t *testing.T) *followed {
	t.Helper()
	f := &followed{logs: &syncbuf.Buffer{}, spans: tracetest.NewInMemoryExporter()}
	fake := deskeratest.New()
	f.fake = fake
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.traceparents = append(f.traceparents, r.Header.Get("Traceparent"))
		f.mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	client, err := deskera.NewClient(deskera.WithBaseURL(srv.URL), deskera.WithAccessToken(deskeratest.DefaultToken),
		deskera.WithRateLimit(0, 0), deskera.WithBackoff(time.Millisecond, 2*time.Millisecond),
		deskera.WithLogger(log), deskera.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	set := handlerstest.Rules(t, "testdata/rules.yaml")
	eng := handlerstest.Engine(t, client, set, engine.WithLogger(log), engine.WithTracerProvider(tp))
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, Logger: log, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	if f.router, err = handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: handlers.NewMetrics(), Logger: log}); err != nil {
		t.Fatal(err)
	}
	if f.lambda, err = lambda.New(lambda.Config{Core: svc, Logger: log}); err != nil {
		t.Fatal(err)
	}
	f.reset()
	return f
}

// reset forgets what start-up (the label list) produced.
func (f *followed) reset() {
	f.from = len(f.logs.String())
	f.spans.Reset()
	f.mu.Lock()
	f.traceparents = nil
	f.mu.Unlock()
}

// lines decodes every captured log line.
func (f *followed) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(f.logs.String()[f.from:]))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// ids is what every line and span of one delivery must carry.
type ids struct {
	delivery, request string
	trace             trace.TraceID
	awsRequestID      string // SQS only
}

// checkLines: every line carries the delivery's ids (and trace id).
func checkLines(t *testing.T, lines []map[string]any, want ids, msgs ...string) {
	t.Helper()
	for _, m := range lines {
		if m[obs.KeyDeliveryID] != want.delivery || m[obs.KeyRequestID] != want.request {
			t.Errorf("line %q: delivery_id %v, request_id %v; want %q, %q", m["msg"], m[obs.KeyDeliveryID], m[obs.KeyRequestID], want.delivery, want.request)
		}
		if m[obs.KeyTraceID] != want.trace.String() {
			t.Errorf("line %q: trace_id %v, want %s", m["msg"], m[obs.KeyTraceID], want.trace)
		}
		if want.awsRequestID != "" && m[lambda.KeyAWSRequestID] != want.awsRequestID {
			t.Errorf("line %q: aws_request_id %v, want %q", m["msg"], m[lambda.KeyAWSRequestID], want.awsRequestID)
		}
	}
	got := map[string]bool{}
	for _, m := range lines {
		got[m["msg"].(string)] = true
	}
	for _, msg := range msgs {
		if !got[msg] {
			t.Errorf("no %q line among %d lines:\n%s", msg, len(lines), linesText(lines))
		}
	}
}

func linesText(lines []map[string]any) string {
	var b strings.Builder
	for _, m := range lines {
		j, _ := json.Marshal(m)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// checkSpans: every span is in the delivery's trace; the delivery span
// continues parent (when valid) and is the parent of verify, parse,
// evaluate and the Deskera calls; Deskera got each call span's
// traceparent.
func (f *followed) checkSpans(t *testing.T, spans tracetest.SpanStubs, want ids, parent trace.SpanContext) {
	t.Helper()
	var delivery *tracetest.SpanStub
	names := map[string]int{}
	callSpans := map[string]bool{}
	for i := range spans {
		s := &spans[i]
		names[s.Name]++
		if s.SpanContext.TraceID() != want.trace {
			t.Errorf("span %q: trace %s, want %s", s.Name, s.SpanContext.TraceID(), want.trace)
		}
		if s.Name == "delivery" {
			delivery = s
		}
		if strings.HasPrefix(s.Name, "deskera ") {
			callSpans[s.SpanContext.SpanID().String()] = true
		}
	}
	if delivery == nil {
		t.Fatalf("no delivery span among %v", names)
	}
	if parent.IsValid() && delivery.Parent.SpanID() != parent.SpanID() {
		t.Errorf("delivery span's parent %s, want the sender's %s", delivery.Parent.SpanID(), parent.SpanID())
	}
	for _, n := range []string{"verify", "parse", "evaluate", "deskera contacts.list", "deskera contacts.create"} {
		if names[n] == 0 {
			t.Errorf("no %q span among %v", n, names)
		}
	}
	for _, s := range spans {
		if s.Name != "delivery" && s.Parent.SpanID() != delivery.SpanContext.SpanID() {
			t.Errorf("span %q: parent %s, want the delivery span %s", s.Name, s.Parent.SpanID(), delivery.SpanContext.SpanID())
		}
	}
	attrs := map[string]string{}
	for _, a := range delivery.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["leadhook.delivery_id"] != want.delivery || attrs["leadhook.request_id"] != want.request {
		t.Errorf("delivery span attributes %v, want delivery %q request %q", attrs, want.delivery, want.request)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.traceparents) == 0 {
		t.Fatal("Deskera received no request")
	}
	for _, tp := range f.traceparents {
		sc := trace.SpanContextFromContext(obs.Extract(context.Background(), http.Header{"Traceparent": {tp}}))
		if sc.TraceID() != want.trace || !callSpans[sc.SpanID().String()] {
			t.Errorf("Deskera got traceparent %q, want trace %s from a Deskera call span", tp, want.trace)
		}
	}
}

// signedLead is a lead for the website source, signed, with header set.
func signedLead(header map[string]string) *http.Request {
	return signed(`{"email":"jane@acme.io","name":"Jane","budget":20000}`, header)
}

// signed is a POST of body to the website source, signed, with header set.
func signed(body string, header map[string]string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/hooks/website", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", "sha256="+handlerstest.HexHMAC(websiteSecret, body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

func (f *followed) post(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.router.ServeHTTP(rec, req)
	return rec
}

// TestFollowRefusedDelivery: the lines about a delivery refused before it
// is parsed (a bad signature) or while parsing (a body that is not JSON)
// carry the request id and the delivery id its Idempotency-Key claims,
// and the answer echoes the request id.
func TestFollowRefusedDelivery(t *testing.T) {
	ids := map[string]string{"Idempotency-Key": "key-42", "X-Request-Id": "req-42"}
	tests := []struct {
		name    string
		req     *http.Request
		status  int
		message string
	}{
		{name: "bad signature", req: signed(`{"email":"jane@acme.io"}`, merge(ids, map[string]string{"X-Signature": "sha256=00"})),
			status: http.StatusUnauthorized, message: "authentication failed"},
		{name: "not JSON", req: signed("not json", ids), status: http.StatusBadRequest, message: "event rejected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFollowed(t)
			rec := f.post(tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if got := rec.Header().Get(obs.RequestIDHeader); got != "req-42" {
				t.Errorf("X-Request-Id %q, want req-42", got)
			}
			lines := f.lines(t)
			for _, m := range lines {
				if m[obs.KeyDeliveryID] != "key-42" || m[obs.KeyRequestID] != "req-42" {
					t.Errorf("line %q: delivery_id %v, request_id %v; want key-42, req-42", m["msg"], m[obs.KeyDeliveryID], m[obs.KeyRequestID])
				}
			}
			if !slices.ContainsFunc(lines, func(m map[string]any) bool { return m["msg"] == tc.message }) {
				t.Errorf("no %q line:\n%s", tc.message, linesText(lines))
			}
		})
	}
}

// merge returns a copy of a with b's entries set.
func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

const (
	senderTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	senderParent = "00f067aa0ba902b7"
)

func remoteParent(t *testing.T) trace.SpanContext {
	t.Helper()
	tid, _ := trace.TraceIDFromHex(senderTrace)
	sid, _ := trace.SpanIDFromHex(senderParent)
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
}

// TestFollowHTTPDelivery posts one signed lead and finds its delivery id
// and request id on every log line it produced (the Deskera calls', the
// event line), every span in one trace continuing the sender's, and that
// trace's traceparent on every request Deskera got.
func TestFollowHTTPDelivery(t *testing.T) {
	traceparent := "00-" + senderTrace + "-" + senderParent + "-01"
	tests := []struct {
		name        string
		header      map[string]string
		wantRequest string // "" = the answer's X-Request-Id, which must be new
		parent      bool
		// deskeraFails makes Deskera answer 503 once: the client retries.
		deskeraFails bool
	}{
		{name: "traceparent names the request", header: map[string]string{"Traceparent": traceparent}, wantRequest: senderTrace, parent: true},
		{name: "X-Request-Id wins", header: map[string]string{"Traceparent": traceparent, "X-Request-Id": "req-7f3a"}, wantRequest: "req-7f3a", parent: true},
		{name: "neither: a new id and a new trace", header: map[string]string{}},
		{name: "a Deskera retry", header: map[string]string{"X-Request-Id": "req-retry"}, wantRequest: "req-retry", deskeraFails: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFollowed(t)
			if tc.deskeraFails {
				f.fake.FailNext(1, http.StatusServiceUnavailable, 0)
			}
			rec := f.post(signedLead(tc.header))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var ans struct {
				EventID string `json:"event_id"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || ans.EventID == "" {
				t.Fatalf("answer %s: %v", rec.Body, err)
			}
			if n := len(rec.Header().Values(obs.RequestIDHeader)); n != 1 {
				t.Errorf("%d X-Request-Id headers, want 1", n)
			}
			want := ids{delivery: ans.EventID, request: tc.wantRequest}
			got := rec.Header().Get(obs.RequestIDHeader)
			if want.request == "" {
				want.request = got
				if len(got) != 32 {
					t.Errorf("generated request id %q, want 32 hex digits", got)
				}
			}
			if got != want.request {
				t.Errorf("answer's X-Request-Id %q, want %q", got, want.request)
			}
			spans := f.spans.GetSpans()
			if len(spans) == 0 {
				t.Fatal("no spans")
			}
			want.trace = spans[0].SpanContext.TraceID()
			if tc.parent && want.trace.String() != senderTrace {
				t.Errorf("trace %s, want the sender's %s", want.trace, senderTrace)
			}
			var parent trace.SpanContext
			if tc.parent {
				parent = remoteParent(t)
			}
			msgs := []string{"deskera: request", "event"}
			if tc.deskeraFails {
				msgs = append(msgs, "deskera: retrying")
			}
			checkLines(t, f.lines(t), want, msgs...)
			f.checkSpans(t, spans, want, parent)
		})
	}
}

// TestFollowSQSDelivery queues two records in one batch, the first with
// a traceparent and an X-Request-Id message attribute, the second for a
// source that does not exist: each record's lines (the service's, the
// Deskera client's, the Lambda handler's failure line) carry that
// record's delivery id (its message id), its request id and the
// invocation's aws_request_id; the first record's spans continue the
// producer's trace into Deskera.
func TestFollowSQSDelivery(t *testing.T) {
	f := newFollowed(t)
	traceparent := "00-" + senderTrace + "-" + senderParent + "-01"
	event := map[string]any{"Records": []map[string]any{
		{
			"messageId": "msg-1", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:leads",
			"body": `{"email":"sam@acme.io","name":"Sam","budget":20000}`,
			"messageAttributes": map[string]any{
				"source":      map[string]any{"dataType": "String", "stringValue": "queue"},
				"traceparent": map[string]any{"dataType": "String", "stringValue": traceparent},
			},
		},
		{
			"messageId": "msg-2", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:leads",
			"body":              `{"email":"kim@acme.io"}`,
			"messageAttributes": map[string]any{"source": map[string]any{"dataType": "String", "stringValue": "nowhere"}, "X-Request-Id": map[string]any{"dataType": "String", "stringValue": "req-2"}},
		},
	}}
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "aws-req-1"})
	out, err := f.lambda.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if want := `{"batchItemFailures":[{"itemIdentifier":"msg-2"}]}`; string(b) != want {
		t.Fatalf("answer %s, want %s", b, want)
	}
	byMessage := map[string][]map[string]any{}
	for _, m := range f.lines(t) {
		id, _ := m["message_id"].(string)
		if id == "" {
			t.Errorf("line %q names no message", m["msg"])
		}
		byMessage[id] = append(byMessage[id], m)
	}
	tid, _ := trace.TraceIDFromHex(senderTrace)
	first := ids{delivery: "msg-1", request: senderTrace, trace: tid, awsRequestID: "aws-req-1"}
	checkLines(t, byMessage["msg-1"], first, "deskera: request", "event")

	// The failed record was never traced past its delivery span: its
	// lines carry its own ids and a trace of their own.
	second := byMessage["msg-2"]
	if len(second) == 0 {
		t.Fatal("no line about msg-2")
	}
	for _, m := range second {
		if m[obs.KeyDeliveryID] != "msg-2" || m[obs.KeyRequestID] != "req-2" || m[lambda.KeyAWSRequestID] != "aws-req-1" {
			t.Errorf("msg-2 line %q: %v", m["msg"], m)
		}
	}
	if !slices.ContainsFunc(second, func(m map[string]any) bool { return m["msg"] == "sqs record failed" }) {
		t.Errorf("no sqs record failed line for msg-2:\n%s", linesText(second))
	}

	// The first record's spans; the second's lone delivery span (a 404)
	// is a trace of its own.
	var firstSpans, others tracetest.SpanStubs
	for _, s := range f.spans.GetSpans() {
		if s.SpanContext.TraceID() == tid {
			firstSpans = append(firstSpans, s)
		} else {
			others = append(others, s)
		}
	}
	f.checkSpans(t, firstSpans, first, remoteParent(t))
	if len(others) != 1 || others[0].Name != "delivery" {
		t.Errorf("spans outside the first record's trace: %d, want msg-2's delivery span", len(others))
	}
}
