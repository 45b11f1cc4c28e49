package handlers_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/leadhook/leadhook/bench/crmstub"
	"github.com/leadhook/leadhook/handlers"
)

// lead597 is testdata/lead.json: the benchmark's 597-byte, 13-field
// JSON lead (a hot lead under rules.example.yaml).
func lead597(b *testing.B) []byte {
	b.Helper()
	body, err := os.ReadFile("testdata/lead.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// serveBench posts body to router at path and fails on a non-200.
func serveBench(b *testing.B, router http.Handler, path string, body []byte, kv ...string) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	w := httptest.NewRecorder()
	router.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// stubRouter is the router of benchServiceOn acting on a CRM stub served
// in process (bench/crmstub), closed with the benchmark.
func stubRouter(b *testing.B) http.Handler {
	b.Helper()
	stub := httptest.NewServer(crmstub.New())
	b.Cleanup(stub.Close)
	svc, metrics := benchServiceOn(b, stub.URL, nil)
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: metrics})
	if err != nil {
		b.Fatal(err)
	}
	return router
}

// BenchmarkHandlerDryRun is issue 18's dry run through the real
// http.Handler (Gin, metrics middleware, admin authorisation, parse,
// normalise, the search on the CRM stub, evaluate, the compact answer):
// rules.example.yaml with a JSON website source, the 597-byte lead.
// The stub is served in process, so its allocations count here too.
func BenchmarkHandlerDryRun(b *testing.B) {
	router := stubRouter(b)
	body := lead597(b)
	b.ReportAllocs()
	for b.Loop() {
		serveBench(b, router, "/hooks/website?dry_run=1", body, "Authorization", "Bearer "+adminToken)
	}
}

// BenchmarkHandlerE2EStub is a new lead end to end through the real
// http.Handler: HMAC, parse, evaluate, search + create on the CRM stub
// (in process, over loopback HTTP: its allocations count here too).
func BenchmarkHandlerE2EStub(b *testing.B) {
	router := stubRouter(b)
	tmpl := lead597(b)
	at := bytes.Index(tmpl, []byte("jane@"))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		body := append(append(append([]byte{}, tmpl[:at]...), "lead"+strconv.Itoa(n)+"-"...), tmpl[at:]...)
		serveBench(b, router, "/hooks/website", body, "X-Signature", "sha256="+hexHMAC(benchSecret, string(body)))
	}
}
