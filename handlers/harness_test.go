package handlers_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/gintest"
	"github.com/leadhook/leadhook/internal/syncbuf"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestMain(m *testing.M) { gintest.Main(m) }

// Secrets of testdata/rules.yaml; none may ever appear in logs.
const (
	websiteSecret = "test-website-secret"
	apiToken      = "test-api-token"
	partnerToken  = "test-partner-token"
	kioskPassword = "test-kiosk-password"
	svixSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	adminToken    = "test-admin-token"
)

// harness is leadhook's router on a real HTTP server, acting on a fake
// Deskera over HTTP.
type harness struct {
	t       testing.TB
	deskera *deskeratest.Server
	metrics *handlers.Metrics
	svc     *handlers.Service
	router  http.Handler
	srv     *httptest.Server
	logs    *syncbuf.Buffer
	now     time.Time
}

type harnessOption func(*harness, *handlers.ServerConfig, *handlers.Config)

// loseCreateAnswer makes the first contact create reach Deskera (and
// apply) while its answer is lost on the way back.
type loseCreateAnswer struct {
	next http.RoundTripper
	mu   sync.Mutex
	done bool
}

func (l *loseCreateAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && !l.done && r.Method == http.MethodPost && r.URL.Path == "/v1/crm/contacts" {
		l.done = true
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

// roundTripFunc is an http.RoundTripper in a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	return newHarnessWithTransport(t, nil, opts...)
}

func newHarnessWithTransport(t testing.TB, wrap func(http.RoundTripper) http.RoundTripper, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessSetup(t, harnessSetup{wrap: wrap}, opts...)
}

// harnessSetup varies the fake Deskera, the client and the rules file.
type harnessSetup struct {
	wrap   func(http.RoundTripper) http.RoundTripper
	fake   []deskeratest.Option
	client []deskera.Option
	rules  string // default testdata/rules.yaml
}

func newHarnessSetup(t testing.TB, hs harnessSetup, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, deskera: deskeratest.NewServer(t, hs.fake...), metrics: handlers.NewMetrics(), logs: &syncbuf.Buffer{}}
	log := handlers.NewLogger(h.logs, slog.LevelDebug)
	copts := []deskera.Option{deskera.WithObserver(h.metrics.ObserveDeskera), deskera.WithLogger(log)}
	if hs.wrap != nil {
		copts = append(copts, deskera.WithHTTPClient(&http.Client{Transport: hs.wrap(h.deskera.HTTPClient().Transport)}))
	}
	client := h.deskera.Client(append(copts, hs.client...)...)
	if hs.rules == "" {
		hs.rules = "testdata/rules.yaml"
	}
	set := handlerstest.Rules(t, hs.rules)
	eng := handlerstest.Engine(t, client, set, engine.WithLogger(log))
	cfg := handlers.Config{Rules: set, Engine: eng, AdminToken: adminToken, Metrics: h.metrics, Logger: log}
	sc := handlers.ServerConfig{Metrics: h.metrics, Logger: log, MaxBody: 4096,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	for _, o := range opts {
		o(h, &sc, &cfg)
	}
	var err error
	if h.svc, err = handlers.NewService(cfg); err != nil {
		t.Fatal(err)
	}
	sc.Service = h.svc
	h.router, err = handlers.NewRouter(sc)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.router)
	t.Cleanup(h.srv.Close)
	t.Cleanup(func() { checkNoSecrets(t, h.logs.String()) })
	return h
}

func checkNoSecrets(t testing.TB, logs string) {
	t.Helper()
	for _, s := range []string{websiteSecret, apiToken, partnerToken, kioskPassword, svixSecret, adminToken, deskeratest.DefaultToken, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain the secret %q", s)
		}
	}
}

// reply is a decoded answer.
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

func (h *harness) post(path, contentType, body string, header map[string]string) reply {
	h.t.Helper()
	return h.do(h.newRequest(http.MethodPost, path, contentType, body, header))
}

func (h *harness) do(req *http.Request) reply {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.JSON); err != nil {
			h.t.Fatalf("answer is not JSON: %v: %s", err, raw)
		}
	}
	return r
}

// postForm posts a signed urlencoded form to /hooks/website.
func (h *harness) postForm(body string, header map[string]string) reply {
	h.t.Helper()
	hdr := map[string]string{"X-Signature": "sha256=" + hexHMAC(websiteSecret, body)}
	for k, v := range header {
		hdr[k] = v
	}
	return h.post("/hooks/website", "application/x-www-form-urlencoded", body, hdr)
}

// hexHMAC is handlerstest.HexHMAC.
func hexHMAC(secret, body string) string { return handlerstest.HexHMAC(secret, body) }

func wantStatus(t testing.TB, r reply, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Raw)
	}
}

// onlyContact returns the fake's single contact.
func (h *harness) onlyContact() deskera.Contact {
	h.t.Helper()
	cs := h.deskera.Contacts()
	if len(cs) != 1 {
		h.t.Fatalf("fake has %d contacts, want 1: %+v", len(cs), cs)
	}
	return cs[0]
}
