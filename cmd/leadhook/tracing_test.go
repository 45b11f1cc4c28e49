package main

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes the
// protobuf export requests the exporter POSTs to /v1/traces.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []*tracepb.Span
	services []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var ex coltracepb.ExportTraceServiceRequest
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" || err != nil || proto.Unmarshal(body, &ex) != nil {
			t.Errorf("receiver: %s %s (%s): cannot decode", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range ex.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					r.services = append(r.services, a.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// TestServeExportsTracesToTheOTLPEndpoint runs serve with
// OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_SERVICE_NAME) naming an
// in-process receiver, posts the walkthrough's lead with a traceparent,
// and stops it: the shutdown flushes the delivery's spans (delivery,
// verify, parse, evaluate, the Deskera calls) in the sender's trace,
// under the service name the standard variable set.
func TestServeExportsTracesToTheOTLPEndpoint(t *testing.T) {
	recv := newOTLPReceiver(t)
	vars := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL, "OTEL_SERVICE_NAME": "leadhook-under-test"}
	for k, v := range vars {
		t.Setenv(k, v) // the exporter and the SDK read the process environment
	}
	base, logs, stop := startServe(t, vars)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	resp := postSignedForm(t, base, walkthroughForm, map[string]string{"Traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post answered %d", resp.StatusCode)
	}
	if got := resp.Header.Get("X-Request-Id"); got != traceID {
		t.Errorf("X-Request-Id %q, want the trace id %s", got, traceID)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	names := map[string]bool{}
	for _, s := range recv.spans {
		if hex.EncodeToString(s.TraceId) == traceID {
			names[s.Name] = true
		}
	}
	for _, want := range []string{"delivery", "verify", "parse", "evaluate", "deskera contacts.list", "deskera contacts.create"} {
		if !names[want] {
			t.Errorf("no %q span in trace %s; got %v", want, traceID, names)
		}
	}
	for _, s := range recv.services {
		if s != "leadhook-under-test" {
			t.Errorf("service.name %q, want OTEL_SERVICE_NAME's", s)
		}
	}
	if !strings.Contains(logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Errorf("no log line carries trace_id %s", traceID)
	}
}
