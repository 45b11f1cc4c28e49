package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/rules"
)

// Headers a browser sends with a plain form post (a navigation) and
// with fetch from a page.
var (
	navigate = map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Sec-Fetch-Mode": "navigate",
		"Origin": "https://www.example.com", "Referer": "https://www.example.com/contact"}
	fetchJSON = map[string]string{"Accept": "application/json", "Sec-Fetch-Mode": "cors", "Origin": "https://www.example.com"}
)

// fakeTurnstile answers siteverify like Cloudflare: token "pass" is
// good, "down" gets a 503 (an outage), anything else is refused.
func fakeTurnstile(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("secret") != "test-turnstile-secret" {
			http.Error(w, `{"success":false,"error-codes":["invalid-input-secret"]}`, http.StatusOK)
			return
		}
		switch r.PostForm.Get("response") {
		case "pass":
			_, _ = w.Write([]byte(`{"success":true,"error-codes":[]}`))
		case "down":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte(`{"success":false,"error-codes":["invalid-input-response"]}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestBrowserSourceAnswers(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name         string
		path         string
		contentType  string
		body         string
		header       map[string]string
		setup        func(h *harness)
		wantStatus   int
		wantLocation string // prefix
		wantBody     string
		wantRetry    bool
		wantACAO     string
		wantContacts int
		wantBlocked  string // reason counted
	}{
		{name: "form post lands on the thank-you redirect with the lead id", path: "/hooks/contact", contentType: form,
			body: "name=Jane+Doe&email=jane%40acme.io&_gotcha=&cf-turnstile-response=pass", header: navigate,
			wantStatus: 303, wantLocation: "https://www.example.com/thanks?lead=evt_", wantContacts: 1, wantACAO: "https://www.example.com"},
		{name: "honeypot filled: thank-you redirect, nothing created", path: "/hooks/contact", contentType: form,
			body: "name=Bot&email=bot%40acme.io&_gotcha=http%3A%2F%2Fspam&cf-turnstile-response=pass", header: navigate,
			wantStatus: 303, wantLocation: "https://www.example.com/thanks?lead=evt_", wantBlocked: "honeypot", wantACAO: "https://www.example.com"},
		{name: "honeypot filled, asked for JSON: a success-shaped answer", path: "/hooks/contact", contentType: form,
			body: "email=bot%40acme.io&_gotcha=x&cf-turnstile-response=pass", header: fetchJSON,
			wantStatus: 200, wantBody: `"outcome":"ok"`, wantACAO: "https://www.example.com", wantBlocked: "honeypot"},
		{name: "captcha refused: error redirect, nothing created", path: "/hooks/contact", contentType: form,
			body: "email=jane%40acme.io&cf-turnstile-response=forged", header: navigate,
			wantStatus: 303, wantLocation: "https://www.example.com/oops?error=captcha", wantBlocked: "captcha", wantACAO: "https://www.example.com"},
		{name: "captcha provider down, JSON: 503 with Retry-After", path: "/hooks/contact", contentType: form,
			body: "email=jane%40acme.io&cf-turnstile-response=down", header: fetchJSON,
			wantStatus: 503, wantRetry: true, wantBody: "nothing was saved", wantACAO: "https://www.example.com", wantBlocked: "captcha_unavailable"},
		{name: "captcha provider down, browser: error redirect says unavailable", path: "/hooks/contact", contentType: form,
			body: "email=jane%40acme.io&cf-turnstile-response=down", header: navigate,
			wantStatus: 303, wantLocation: "https://www.example.com/oops?error=unavailable", wantBlocked: "captcha_unavailable", wantACAO: "https://www.example.com"},
		{name: "disposable address refused, naming the field", path: "/hooks/contact", contentType: form,
			body: "email=bot%40mailinator.com&cf-turnstile-response=pass", header: fetchJSON,
			wantStatus: 422, wantBody: `"field":"email"`, wantACAO: "https://www.example.com", wantBlocked: "disposable"},
		{name: "post from another site refused", path: "/hooks/contact", contentType: form,
			body: "email=jane%40acme.io&cf-turnstile-response=pass", header: merge(navigate, map[string]string{"Origin": "https://evil.example"}),
			wantStatus: 303, wantLocation: "https://www.example.com/oops?error=origin", wantBlocked: "origin"},
		{name: "null origin refused", path: "/hooks/contact", contentType: form,
			body: "email=jane%40acme.io&cf-turnstile-response=pass", header: merge(fetchJSON, map[string]string{"Origin": "null"}),
			wantStatus: 403, wantBody: `"field":"Origin"`, wantBlocked: "origin"},
		{name: "malformed form: built-in error page keeps the 4xx", path: "/hooks/pages", contentType: "text/plain",
			body: "hello", header: navigate, wantStatus: 415, wantBody: "Please check the form"},
		{name: "spam_answer: error shows bots the error page", path: "/hooks/pages", contentType: form,
			body: "email=bot%40acme.io&_gotcha=x", header: navigate, wantStatus: 403, wantBody: "refused as spam", wantBlocked: "honeypot"},
		{name: "built-in thank-you page", path: "/hooks/pages", contentType: form,
			body: "email=jane%40acme.io", header: navigate, wantStatus: 200, wantBody: "Thank you", wantContacts: 1},
		{name: "Deskera down: the visitor sees a not-saved page with Retry-After", path: "/hooks/pages", contentType: form,
			body: "email=jane%40acme.io", header: navigate, setup: func(h *harness) { h.deskera.FailNext(100, http.StatusServiceUnavailable, 0) },
			wantStatus: 503, wantRetry: true, wantBody: "send it again"},
		{name: "Deskera down, fetch: 503 JSON with Retry-After", path: "/hooks/api", contentType: "application/json",
			body: `{"email":"jane@acme.io"}`, header: fetchJSON, setup: func(h *harness) { h.deskera.FailNext(100, http.StatusServiceUnavailable, 0) },
			wantStatus: 503, wantRetry: true, wantACAO: "https://www.example.com"},
		{name: "fetch from an allowed origin gets JSON and CORS", path: "/hooks/api", contentType: "application/json",
			body: `{"email":"jane@acme.io","name":"Jane"}`, header: fetchJSON,
			wantStatus: 200, wantBody: `"outcome":"ok"`, wantACAO: "https://www.example.com", wantContacts: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TEST_SITEVERIFY_URL", fakeTurnstile(t).URL)
			h := newHarnessSetup(t, harnessSetup{rules: "testdata/browser-rules.yaml",
				client: []deskera.Option{deskera.WithRetry(1, time.Second)}})
			if tc.setup != nil {
				tc.setup(h)
			}
			r := h.noRedirects(http.MethodPost, tc.path, tc.contentType, tc.body, tc.header)
			if r.Status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.wantStatus, r.Raw)
			}
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, tc.wantLocation) || (tc.wantLocation == "") != (loc == "") {
				t.Errorf("Location %q, want %q...", loc, tc.wantLocation)
			}
			if !strings.Contains(string(r.Raw), tc.wantBody) {
				t.Errorf("body lacks %q: %s", tc.wantBody, r.Raw)
			}
			if (r.Header.Get("Retry-After") != "") != tc.wantRetry {
				t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.wantACAO)
			}
			if r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed")
			}
			if got := len(h.deskera.Contacts()); got != tc.wantContacts {
				t.Errorf("%d contacts, want %d", got, tc.wantContacts)
			}
			if tc.wantContacts == 1 && h.onlyContact().Label.Name != "Warm lead" {
				t.Errorf("contact %+v lacks its label", h.onlyContact())
			}
			if strings.Contains(h.logs.String(), "test-turnstile-secret") {
				t.Error("logs contain the captcha secret")
			}
			if tc.wantBlocked != "" {
				src := strings.TrimPrefix(tc.path, "/hooks/")
				if got := testutil.ToFloat64(h.metrics.BrowserBlocked(src, tc.wantBlocked)); got != 1 {
					t.Errorf("browser_blocked_total{reason=%q} = %v, want 1", tc.wantBlocked, got)
				}
			}
		})
	}
}

func TestBrowserSourceRateLimitAndPreflight(t *testing.T) {
	t.Setenv("TEST_SITEVERIFY_URL", fakeTurnstile(t).URL)
	h := newHarnessSetup(t, harnessSetup{rules: "testdata/browser-rules.yaml"})
	body := "email=jane%40acme.io&cf-turnstile-response=pass"
	post := func(ip string, hdr map[string]string) reply { // the harness trusts X-Forwarded-For from 127.0.0.0/8
		return h.noRedirects(http.MethodPost, "/hooks/contact", "application/x-www-form-urlencoded", body, merge(hdr, map[string]string{"X-Forwarded-For": ip}))
	}
	for i := range 2 {
		if r := post("198.51.100.7", fetchJSON); r.Status != 200 {
			t.Fatalf("post %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := post("198.51.100.7", fetchJSON)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || r.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("third post: %d Retry-After %q ACAO %q", r.Status, r.Header.Get("Retry-After"), r.Header.Get("Access-Control-Allow-Origin"))
	}
	r = post("198.51.100.7", navigate)
	if r.Status != 303 || r.Header.Get("Location") != "https://www.example.com/oops?error=rate_limited" {
		t.Fatalf("browser over the limit: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := post("198.51.100.8", fetchJSON); r.Status != 200 {
		t.Fatalf("another visitor: %d %s", r.Status, r.Raw)
	}
	pre := h.noRedirects(http.MethodOptions, "/hooks/contact", "", "", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://www.example.com" {
		t.Fatalf("preflight %d %v", pre.Status, pre.Header)
	}
	pre = h.noRedirects(http.MethodOptions, "/hooks/contact", "", "", map[string]string{"Origin": "https://www.example.com.evil.com", "Access-Control-Request-Method": "POST"})
	if pre.Status != 403 || pre.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("look-alike preflight %d %v", pre.Status, pre.Header)
	}
}

// noRedirects sends a request without following redirects.
func (h *harness) noRedirects(method, path, contentType, body string, header map[string]string) reply {
	h.t.Helper()
	req := h.newRequest(method, path, contentType, body, header)
	c := *h.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Raw: []byte(b.String())}
}

// TestBrowserGuardAcrossReloads: a reload that leaves a source's browser
// block alone keeps its guard, so a visitor over the rate limit stays
// limited; a changed block gets a fresh guard. The captcha secret is
// redacted like the sources' own.
func TestBrowserGuardAcrossReloads(t *testing.T) {
	t.Setenv("TEST_SITEVERIFY_URL", fakeTurnstile(t).URL)
	h := newHarnessSetup(t, harnessSetup{rules: "testdata/browser-rules.yaml"})
	before := h.svc.BrowserGuard("contact")
	if before == nil || h.svc.BrowserGuard("plain") != nil || !h.svc.HasSource("plain") {
		t.Fatal("guards: contact has none, or a source without a browser block has one")
	}
	same := handlerstest.Rules(t, "testdata/browser-rules.yaml")
	if err := h.svc.SetRules(same); err != nil {
		t.Fatal(err)
	}
	if h.svc.BrowserGuard("contact") != before {
		t.Error("an unchanged browser block got a new guard: its rate-limit buckets were reset")
	}
	raw, err := os.ReadFile("testdata/browser-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed, err := rules.Load("browser-rules.yaml", []byte(strings.Replace(string(raw), "per_ip: 2/m", "per_ip: 5/m", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetRules(changed); err != nil {
		t.Fatal(err)
	}
	if g := h.svc.BrowserGuard("contact"); g == before || g.Config().RateLimit.PerIP.Events != 5 {
		t.Error("a changed browser block kept the old guard")
	}
	if got := h.svc.Redact("panic: test-turnstile-secret leaked"); strings.Contains(got, "test-turnstile-secret") {
		t.Errorf("Redact left the captcha secret: %q", got)
	}
	if strings.Contains(h.logs.String(), "test-turnstile-secret") {
		t.Error("logs contain the captcha secret")
	}
}
