package browser

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func testGuard(t *testing.T, b rules.Browser, opts Options) *Guard {
	t.Helper()
	g, err := New(rules.Source{Name: "contact", Format: "form", Browser: &b}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestPreflight(t *testing.T) {
	var blocked []string
	g := testGuard(t, rules.Browser{AllowedOrigins: []string{"https://www.example.com", "*.example.org"}},
		Options{OnBlock: func(r string) { blocked = append(blocked, r) }})
	tests := []struct {
		name       string
		header     map[string]string
		wantStatus int
		wantACAO   string
		wantBlock  bool
	}{
		{"allowed origin", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, accept"}, 204, "https://www.example.com", false},
		{"wildcard origin", map[string]string{"Origin": "https://shop.example.org", "Access-Control-Request-Method": "POST"}, 204, "https://shop.example.org", false},
		{"other origin", map[string]string{"Origin": "https://evil.com", "Access-Control-Request-Method": "POST"}, 403, "", true},
		{"look-alike origin", map[string]string{"Origin": "https://www.example.com.evil.com", "Access-Control-Request-Method": "POST"}, 403, "", true},
		{"null origin", map[string]string{"Origin": "null", "Access-Control-Request-Method": "POST"}, 403, "", true},
		{"method other than POST", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "PUT"}, 403, "", false},
		{"header not allowed", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, x-api-key"}, 403, "", false},
		{"not a preflight", map[string]string{}, 204, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blocked = nil
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			status, hdr, _ := g.Preflight(h)
			if status != tc.wantStatus {
				t.Errorf("status %d, want %d", status, tc.wantStatus)
			}
			if got := hdr.Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.wantACAO)
			}
			if hdr.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed: %v", hdr)
			}
			if tc.wantACAO != "" && (hdr.Get("Access-Control-Allow-Methods") != "POST" || hdr.Get("Access-Control-Max-Age") == "") {
				t.Errorf("preflight headers %v", hdr)
			}
			if got := len(blocked) == 1 && blocked[0] == ReasonOrigin; got != tc.wantBlock {
				t.Errorf("blocked %v, want counted %v", blocked, tc.wantBlock)
			}
		})
	}
}

func TestCORSHeaders(t *testing.T) {
	tests := []struct {
		name     string
		origins  []string
		origin   string
		wantACAO string
		wantVary bool
	}{
		{"allowed", []string{"https://www.example.com"}, "https://www.example.com", "https://www.example.com", true},
		{"not allowed", []string{"https://www.example.com"}, "https://other.example.com", "", true},
		{"null", []string{"https://www.example.com"}, "null", "", true},
		{"no origin", []string{"https://www.example.com"}, "", "", true},
		{"no allowed_origins: no CORS at all", nil, "https://www.example.com", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := testGuard(t, rules.Browser{AllowedOrigins: tc.origins}, Options{})
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			got := g.CORSHeaders(h)
			if acao := got.Get("Access-Control-Allow-Origin"); acao != tc.wantACAO || acao == "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", acao, tc.wantACAO)
			}
			if (got.Get("Vary") == "Origin") != tc.wantVary {
				t.Errorf("Vary %q", got.Get("Vary"))
			}
		})
	}
}
