package handlers_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadhook/leadhook/handlers"
)

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	hdr := map[string]string{"Idempotency-Key": "m-1"}
	wantStatus(t, h.postForm("email=metrics%40example.com", hdr), 200)
	wantStatus(t, h.postForm("email=metrics%40example.com", hdr), 200)
	wantStatus(t, h.post("/hooks/website", "application/x-www-form-urlencoded", "a=1", nil), 401)
	wantStatus(t, h.post("/hooks/user-42", "application/json", "{}", nil), 404)
	wantStatus(t, h.post("/no/such/path/jane@example.com", "application/json", "{}", nil), 404)

	want := `
# HELP leadhook_events_total Inbound events by source and outcome.
# TYPE leadhook_events_total counter
leadhook_events_total{outcome="ok",source="website"} 1
leadhook_events_total{outcome="unauthorized",source="website"} 1
# HELP leadhook_dedupe_hits_total Deliveries answered from the idempotency store or an in-flight duplicate, by source.
# TYPE leadhook_dedupe_hits_total counter
leadhook_dedupe_hits_total{source="website"} 1
# HELP leadhook_auth_failures_total Rejected authentication by source.
# TYPE leadhook_auth_failures_total counter
leadhook_auth_failures_total{source="website"} 1
# HELP leadhook_rules_matched_total Rule matches by rule.
# TYPE leadhook_rules_matched_total counter
leadhook_rules_matched_total{rule="capture"} 1
# HELP leadhook_http_requests_total HTTP requests by route template, method and status code.
# TYPE leadhook_http_requests_total counter
leadhook_http_requests_total{code="200",method="POST",route="/hooks/:source"} 2
leadhook_http_requests_total{code="401",method="POST",route="/hooks/:source"} 1
leadhook_http_requests_total{code="404",method="POST",route="/hooks/:source"} 1
leadhook_http_requests_total{code="404",method="POST",route="unmatched"} 1
`
	names := []string{"leadhook_events_total", "leadhook_dedupe_hits_total", "leadhook_auth_failures_total",
		"leadhook_rules_matched_total", "leadhook_http_requests_total"}
	if err := testutil.GatherAndCompare(h.metrics.Registry, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(h.metrics.Registry, "leadhook_actions_total"); n != 3 {
		t.Errorf("actions_total series = %d, want 3 (upsert, label, owner)", n)
	}
	if n := testutil.CollectAndCount(h.metrics.Registry, "leadhook_deskera_requests_total"); n == 0 {
		t.Error("no Deskera calls recorded")
	}
	problems, err := testutil.GatherAndLint(h.metrics.Registry)
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	r := h.do(mustRequest(t, http.MethodGet, h.srv.URL+"/metrics"))
	wantStatus(t, r, 200)
	body := string(r.Raw)
	if !strings.Contains(body, "leadhook_http_request_duration_seconds_bucket") || strings.Contains(body, "jane@") || strings.Contains(body, "user-42") {
		t.Fatalf("metrics page missing histogram or holds unbounded labels")
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestHealthAndReady(t *testing.T) {
	notReady := errors.New("labels not prepared yet")
	tests := []struct {
		name   string
		ready  func(context.Context) error
		path   string
		status int
	}{
		{"Healthz", nil, "/healthz", 200},
		{"ReadyNoCheck", nil, "/readyz", 200},
		{"ReadyCheckPasses", func(context.Context) error { return nil }, "/readyz", 200},
		{"ReadyCheckFails", func(context.Context) error { return notReady }, "/readyz", 503},
		{"HealthzIgnoresReadiness", func(context.Context) error { return notReady }, "/healthz", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(_ *harness, s *handlers.ServerConfig, _ *handlers.Config) { s.Ready = tc.ready })
			r := h.do(mustRequest(t, http.MethodGet, h.srv.URL+tc.path))
			wantStatus(t, r, tc.status)
			if tc.status == 503 && r.JSON["error"] != notReady.Error() {
				t.Fatalf("answer = %s", r.Raw)
			}
		})
	}
}

func TestSandboxMount(t *testing.T) {
	h := newHarness(t)
	// Without a sandbox the path is unmatched.
	wantStatus(t, h.do(mustRequest(t, http.MethodGet, h.srv.URL+"/sandbox/v1/crm/contacts")), 404)

	hs := newHarness(t, func(hs *harness, s *handlers.ServerConfig, _ *handlers.Config) { s.Sandbox = hs.deskera.Fake })
	wantStatus(t, hs.postForm("email=sandbox%40example.com", nil), 200)
	req := mustRequest(t, http.MethodGet, hs.srv.URL+"/sandbox/v1/crm/contacts")
	wantStatus(t, hs.do(req), 401) // the fake wants its token
	req.Header.Set("x-access-token", "test-token")
	r := hs.do(req)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.Raw), `"email":"sandbox@example.com"`) {
		t.Fatalf("sandbox contacts = %s", r.Raw)
	}
}

func TestShutdownCompletesInFlightRequest(t *testing.T) {
	h := newHarness(t)
	h.deskera.SetLatency(150 * time.Millisecond)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	srv := handlers.NewHTTPServer(ln.Addr().String(), h.router, nil)
	served := make(chan error, 1)
	// A grace period far longer than the request needs even on a loaded
	// machine: Serve returns as soon as the request is done.
	go func() { served <- handlers.Serve(ctx, srv, ln, 30*time.Second, nil) }()

	before := h.deskera.Total()
	status := make(chan int, 1)
	go func() {
		body := "email=inflight%40example.com"
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/hooks/website", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Signature", "sha256="+hexHMAC(websiteSecret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	for h.deskera.Total() == before { // wait until the request is being processed
		time.Sleep(2 * time.Millisecond)
	}
	stop() // SIGTERM
	if got := <-status; got != http.StatusOK {
		t.Fatalf("in-flight request answered %d, want 200", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v, want nil after a graceful shutdown", err)
	}
	h.onlyContact()
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}
