package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/internal/gintest"
)

func TestHook(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"JSONObject", `{"email":"jane@acme.io","budget":"20000"}`, http.StatusOK},
		{"Malformed", `{"email":`, http.StatusBadRequest},
		{"TooLarge", `{"m":"` + strings.Repeat("x", maxBody) + `"}`, http.StatusRequestEntityTooLarge},
	}
	r := newRouter("")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hooks/website", strings.NewReader(tc.body)))
			if w.Code != tc.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tc.want, w.Body)
			}
		})
	}
}

func TestHookHMAC(t *testing.T) {
	body := `{"email":"jane@acme.io"}`
	m := hmac.New(sha256.New, []byte("s3"))
	m.Write([]byte(body))
	good := "sha256=" + hex.EncodeToString(m.Sum(nil))
	r := newRouter("s3")
	for sig, want := range map[string]int{good: http.StatusOK, "sha256=00": http.StatusUnauthorized, "": http.StatusUnauthorized} {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/hooks/website", strings.NewReader(body))
		req.Header.Set("X-Signature", sig)
		r.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("signature %q: status %d, want %d", sig, w.Code, want)
		}
	}
}

func TestReadyz(t *testing.T) {
	w := httptest.NewRecorder()
	newRouter("").ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != http.StatusOK {
		t.Errorf("status %d, want 200", w.Code)
	}
}

// BenchmarkHook is the baseline's handler without sockets, to set beside
// handlers' BenchmarkRouterDryRun.
func BenchmarkHook(b *testing.B) {
	r := newRouter("")
	body := `{"email":"jane@acme-industrial.example","name":"Jane Example","phone":"+65 8575 8458","company":"Acme Industrial Automation Pte Ltd","company_size":"80","budget":"20000","message":"Hello, we are evaluating CRM automation for our sales team of 50 and would like pricing for the team plan, plus a demo next week if possible. We currently use spreadsheets and lose track of inbound enquiries. Thanks, Jane.","utm_source":"google","utm_medium":"cpc","utm_campaign":"q4-crm-automation","page":"https://www.example.com/pricing?plan=team&billing=annual&ref=hero-cta","country":"SG","consent":"yes"}`
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hooks/website", strings.NewReader(body)))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func TestMain(m *testing.M) { gintest.Main(m) }
