package browser

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   bool
	}{
		{"form navigation (Chromium)", map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "Sec-Fetch-Mode": "navigate"}, false},
		{"form navigation without fetch metadata", map[string]string{"Accept": "text/html,*/*"}, false},
		{"fetch in CORS mode", map[string]string{"Accept": "*/*", "Sec-Fetch-Mode": "cors"}, true},
		{"fetch asking for JSON", map[string]string{"Accept": "application/json", "Sec-Fetch-Mode": "cors"}, true},
		{"Accept JSON even on navigate", map[string]string{"Accept": "application/json", "Sec-Fetch-Mode": "navigate"}, true},
		{"curl", map[string]string{"Accept": "*/*"}, true},
		{"no headers (a server)", map[string]string{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hooks/contact", nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := WantsJSON(r); got != tc.want {
				t.Errorf("WantsJSON = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWritePage(t *testing.T) {
	withRedirects := rules.Browser{Redirect: "https://www.example.com/thanks?from=form", LeadParam: true, ErrorRedirect: "https://www.example.com/oops",
		AllowedOrigins: []string{"https://www.example.com"}}
	tests := []struct {
		name         string
		cfg          rules.Browser
		page         Page
		referer      string
		wantStatus   int
		wantLocation string
		wantBody     []string
		wantRetry    string
	}{
		{"taken: redirect with the lead id", withRedirects, Page{Status: 200, LeadID: "evt_1"}, "", 303, "https://www.example.com/thanks?from=form&lead=evt_1", nil, ""},
		{"spam answered like success", withRedirects, Page{Status: 200, LeadID: "evt_2", Reason: ReasonHoneypot}, "", 303, "https://www.example.com/thanks?from=form&lead=evt_2", nil, ""},
		{"bad input: error redirect", withRedirects, Page{Status: 400, Message: "malformed"}, "", 303, "https://www.example.com/oops?error=invalid", nil, ""},
		{"captcha: error redirect names it", withRedirects, Page{Status: 403, Reason: ReasonCaptcha}, "", 303, "https://www.example.com/oops?error=captcha", nil, ""},
		{"rate limited", withRedirects, Page{Status: 429, Reason: ReasonRateLimited, RetryAfter: "30"}, "", 303, "https://www.example.com/oops?error=rate_limited", nil, ""},
		{"Deskera down: unavailable", withRedirects, Page{Status: 503, RetryAfter: "5"}, "", 303, "https://www.example.com/oops?error=unavailable", nil, ""},
		{"built-in thank-you page", rules.Browser{}, Page{Status: 200}, "https://www.example.com/contact", 200, "", []string{"Thank you", `href="https://www.example.com/contact"`}, ""},
		{"built-in error page keeps the status and escapes", rules.Browser{}, Page{Status: 422, Message: "email <b>bad</b>"}, "", 422, "", []string{"Please check the form", "email &lt;b&gt;bad&lt;/b&gt;"}, ""},
		{"built-in outage page with Retry-After", rules.Browser{}, Page{Status: 503, Message: "not saved", RetryAfter: "5"}, "", 503, "", []string{"Not saved"}, "5"},
		{"no back link to a foreign page", rules.Browser{AllowedOrigins: []string{"https://www.example.com"}}, Page{Status: 200}, "https://evil.example/x", 200, "", []string{"Thank you"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := testGuard(t, tc.cfg, Options{})
			r := httptest.NewRequest(http.MethodPost, "/hooks/contact", nil)
			if tc.referer != "" {
				r.Header.Set("Referer", tc.referer)
			}
			w := httptest.NewRecorder()
			g.WritePage(w, r, tc.page)
			if w.Code != tc.wantStatus || w.Header().Get("Location") != tc.wantLocation {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Header().Get("Location"), tc.wantStatus, tc.wantLocation)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q:\n%s", s, w.Body.String())
				}
			}
			if strings.Contains(w.Body.String(), "evil.example") {
				t.Errorf("page links to a foreign page")
			}
			if got := w.Header().Get("Retry-After"); got != tc.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tc.wantRetry)
			}
		})
	}
}
