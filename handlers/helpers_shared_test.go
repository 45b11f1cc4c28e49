package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers"
)

// newRequest builds a request to the harness's server with a body, an
// optional Content-Type and extra headers.
func (h *harness) newRequest(method, path, contentType, body string, header map[string]string) *http.Request {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
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
