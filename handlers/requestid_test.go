package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestEveryAnswerEchoesTheRequestID: whatever the status (the Service's
// 200, 400, 401, 503, the router's 404, 405, 413), the answer carries
// exactly one X-Request-Id: the sender's when it sent a sane one, a new
// one otherwise; and a replay carries the retry's own, not the first's.
func TestEveryAnswerEchoesTheRequestID(t *testing.T) {
	h := newHarness(t)
	big := strings.Repeat("a", 5000) // over the harness's 4096-byte MaxBody
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		header map[string]string
		sign   bool
		// down makes Deskera answer 503 to every call meanwhile.
		down   bool
		status int
	}{
		{name: "200", method: http.MethodPost, path: "/hooks/website", body: "email=rid%40example.com", sign: true, status: 200},
		{name: "200 replayed", method: http.MethodPost, path: "/hooks/website", body: "email=rid%40example.com", sign: true, status: 200},
		{name: "400", method: http.MethodPost, path: "/hooks/website", body: "email=%zz", sign: true, status: 400},
		{name: "401", method: http.MethodPost, path: "/hooks/website", body: "email=rid%40example.com", header: map[string]string{"X-Signature": "sha256=00"}, status: 401},
		{name: "404 source", method: http.MethodPost, path: "/hooks/nowhere", body: "{}", status: 404},
		{name: "404 path", method: http.MethodGet, path: "/nowhere", status: 404},
		{name: "405", method: http.MethodGet, path: "/hooks/website", status: 405},
		{name: "503", method: http.MethodPost, path: "/hooks/website", body: "email=down%40example.com", sign: true, down: true, status: 503},
		{name: "413", method: http.MethodPost, path: "/hooks/website", body: big, sign: true, status: 413},
	}
	for _, tc := range tests {
		for _, sent := range []string{"req-" + strings.ReplaceAll(tc.name, " ", "-"), ""} {
			t.Run(tc.name+" sent "+sent, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, h.srv.URL+tc.path, strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tc.sign {
					req.Header.Set("X-Signature", "sha256="+hexHMAC(websiteSecret, tc.body))
				}
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				if sent != "" {
					req.Header.Set("X-Request-Id", sent)
				}
				if tc.down {
					h.deskera.FailNext(1000, http.StatusServiceUnavailable, 0)
					defer h.deskera.FailNext(0, 0, 0)
				}
				r := h.do(req)
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
				}
				got := r.Header.Values("X-Request-Id")
				switch {
				case len(got) != 1:
					t.Errorf("X-Request-Id headers %q, want one", got)
				case sent != "" && got[0] != sent:
					t.Errorf("X-Request-Id %q, want the sender's %q", got[0], sent)
				case sent == "" && len(got[0]) != 32:
					t.Errorf("X-Request-Id %q, want a new 32-hex-digit id", got[0])
				}
			})
		}
	}
}
