package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// benchSecret is rules.example.yaml's default website secret.
const benchSecret = "dev-website-secret"

// benchLead is a ~600-byte, 13-field JSON lead that scores as a hot lead.
func benchLead(email string) []byte {
	return []byte(`{"email":"` + email + `","name":"Jane Example","phone":"+65 8575 8458",` +
		`"company":"Acme Industrial Automation Pte Ltd","company_size":"80","budget":"20000",` +
		`"message":"Hello, we are evaluating CRM automation for our sales team of 50 and would like pricing for the team plan, plus a demo next week if possible. We currently use spreadsheets and lose track of inbound enquiries.",` +
		`"utm_source":"google","utm_medium":"cpc","utm_campaign":"q4-crm-automation",` +
		`"page":"https://www.example.com/pricing?plan=team&billing=annual","country":"SG","consent":"yes"}`)
}

// benchService is the service as `leadhook serve` wires it, on
// rules.example.yaml with the website source taking JSON, acting on the
// in-process fake Deskera, logging JSON lines to io.Discard.
func benchService(b *testing.B, opts ...func(*handlers.Config)) (*handlers.Service, *handlers.Metrics) {
	b.Helper()
	return benchServiceOn(b, "http://deskera.invalid", deskeratest.New().Transport(), opts...)
}

// websiteFormat matches the website source's format line in
// rules.example.yaml.
var websiteFormat = regexp.MustCompile(`(?m)^(  website:[^\n]*\n    format: )form\b`)

// benchRules is rules.example.yaml with the website source taking JSON.
func benchRules(b *testing.B) *rules.Set {
	b.Helper()
	raw, err := os.ReadFile("../rules.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	src := websiteFormat.ReplaceAllString(string(raw), "${1}json")
	if src == string(raw) {
		b.Fatal("rules.example.yaml: no website source with format: form to switch to json")
	}
	set, err := rules.Load("rules.example.yaml", []byte(src), rules.WithLookupEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// benchServiceOn is benchService acting on the Deskera at baseURL
// through transport (nil: the default pooled transport).
func benchServiceOn(b *testing.B, baseURL string, transport http.RoundTripper, opts ...func(*handlers.Config)) (*handlers.Service, *handlers.Metrics) {
	b.Helper()
	set := benchRules(b)
	log := handlers.NewLogger(io.Discard, slog.LevelInfo)
	metrics := handlers.NewMetrics()
	copts := []deskera.Option{deskera.WithBaseURL(baseURL),
		deskera.WithAccessToken(deskeratest.DefaultToken), deskera.WithRateLimit(0, 0),
		deskera.WithObserver(metrics.ObserveDeskera), deskera.WithLogger(log)}
	if transport != nil {
		copts = append(copts, deskera.WithHTTPClient(&http.Client{Transport: transport}))
	}
	client, err := deskera.NewClient(copts...)
	if err != nil {
		b.Fatal(err)
	}
	eng := handlerstest.Engine(b, client, set, engine.WithLogger(log))
	cfg := handlers.Config{Rules: set, Engine: eng, AdminToken: adminToken, Metrics: metrics, Logger: log}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := handlers.NewService(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return svc, metrics
}

func benchRequest(body []byte, kv ...string) *webhook.Request {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/website", Header: h, Body: body,
		RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}
}

// benchNewContacts is the e2e delivery loop of the service benchmarks: a
// signed JSON lead for a new contact per iteration, each answered 200.
func benchNewContacts(b *testing.B, svc *handlers.Service) {
	b.Helper()
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		body := benchLead("lead-" + strconv.Itoa(n) + "@acme-industrial.example")
		resp := svc.Handle(ctx, "website", benchRequest(body, "X-Signature", "sha256="+hexHMAC(benchSecret, string(body))), false)
		if resp.Status != http.StatusOK {
			b.Fatalf("status %d: %v", resp.Status, resp.Body)
		}
	}
}

// BenchmarkServiceHandle is the transport-neutral core per delivery:
// dryrun = admin-authorised dry run (parse, normalise, evaluate, plan);
// e2e = HMAC check, parse, search + create on the in-process fake (a new
// contact per iteration; signing is inside the loop, ~1 µs).
func BenchmarkServiceHandle(b *testing.B) {
	ctx := context.Background()
	b.Run("dryrun", func(b *testing.B) {
		svc, _ := benchService(b)
		body := benchLead("jane@acme-industrial.example")
		b.ReportAllocs()
		for b.Loop() {
			resp := svc.Handle(ctx, "website", benchRequest(body, "Authorization", "Bearer "+adminToken), true)
			if resp.Status != http.StatusOK {
				b.Fatalf("status %d: %v", resp.Status, resp.Body)
			}
		}
	})
	b.Run("e2e", func(b *testing.B) {
		svc, _ := benchService(b)
		benchNewContacts(b, svc)
	})
}

// BenchmarkRouterDryRun adds Gin, the metrics middleware and the JSON
// answer to the dry run (no socket).
func BenchmarkRouterDryRun(b *testing.B) {
	svc, metrics := benchService(b)
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: metrics})
	if err != nil {
		b.Fatal(err)
	}
	body := benchLead("jane@acme-industrial.example")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/hooks/website?dry_run=1", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
