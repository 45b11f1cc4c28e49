package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// lead600 is a ~600-byte JSON lead of 13 fields (benchmark-method.md).
func lead600(email string) string {
	return fmt.Sprintf(`{"email":%q,"first_name":"Jane","last_name":"Doe","tel_ext":"0100",`+
		`"company":"Acme Analytics Ltd","company_size":"120","budget":"15000","country":"GB",`+
		`"utm_source":"newsletter","utm_campaign":"autumn-launch-2026","page":"https://acme.example/pricing",`+
		`"consent":"yes","message":"We would like a demo of the lead routing and a quote for three teams, `+
		`ideally before the end of the quarter. Please send pricing and any onboarding material you have."}`, email)
}

// BenchmarkHookNoAction measures the HTTP path (routing, body, HMAC,
// parsing, normalising, evaluating) for a signed JSON post whose rules
// decide to do nothing, so no Deskera call is made.
func BenchmarkHookNoAction(b *testing.B) {
	h := newHarness(b)
	body := lead600("")
	sig := "sha256=" + hexHMAC(websiteSecret, body)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/hooks/signed", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature", sig)
		rec := httptest.NewRecorder()
		h.router.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkVerifyHMAC is one HMAC-SHA256 check of a ~600-byte body.
func BenchmarkVerifyHMAC(b *testing.B) {
	body := lead600("jane@acme.io")
	v, err := webhook.NewVerifier(rules.Source{Name: "w", Auth: rules.Auth{Type: "hmac-sha256", Header: "X-Signature", Prefix: "sha256=", Secret: websiteSecret}}, webhook.Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := &webhook.Request{Header: http.Header{"X-Signature": {"sha256=" + hexHMAC(websiteSecret, body)}}, Body: []byte(body)}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
