package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

func TestScreen(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(-d).UnixMilli(), 10) }
	fake := &fakeSiteverify{answer: func(w http.ResponseWriter, r *http.Request) {
		switch r.PostForm.Get("response") {
		case "good":
			jsonAnswer(200, `{"success":true}`)(w, r)
		case "down":
			jsonAnswer(503, `{}`)(w, r)
		default:
			jsonAnswer(200, `{"success":false,"error-codes":["invalid-input-response"]}`)(w, r)
		}
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := rules.Browser{Honeypot: "_gotcha", MinSubmitTime: 3 * time.Second, RenderedField: "_rendered_at",
		DisposableEmail: rules.DisposableRefuse,
		Captcha:         &rules.Captcha{Provider: "turnstile", Secret: "s", Field: "cf-turnstile-response", VerifyURL: srv.URL}}
	tests := []struct {
		name       string
		email      string
		fields     map[string]any
		want       Kind
		wantReason string
		wantStatus int
	}{
		{"a person", "jane@acme.io", map[string]any{"cf-turnstile-response": "good", "_rendered_at": ms(20 * time.Second), "_gotcha": ""}, Pass, "", 0},
		{"honeypot filled", "jane@acme.io", map[string]any{"_gotcha": "http://spam.example", "cf-turnstile-response": "good"}, Spam, ReasonHoneypot, 0},
		{"honeypot of spaces is empty", "jane@acme.io", map[string]any{"_gotcha": "  ", "cf-turnstile-response": "good"}, Pass, "", 0},
		{"honeypot as a list", "jane@acme.io", map[string]any{"_gotcha": []string{"", "x"}, "cf-turnstile-response": "good"}, Spam, ReasonHoneypot, 0},
		{"sent a second after render", "jane@acme.io", map[string]any{"_rendered_at": ms(time.Second), "cf-turnstile-response": "good"}, Spam, ReasonTooFast, 0},
		{"render time in the future (visitor's clock ahead)", "jane@acme.io", map[string]any{"_rendered_at": ms(-time.Minute), "cf-turnstile-response": "good"}, Pass, "", 0},
		{"no render time (no script)", "jane@acme.io", map[string]any{"cf-turnstile-response": "good"}, Pass, "", 0},
		{"garbage render time", "jane@acme.io", map[string]any{"_rendered_at": "soon", "cf-turnstile-response": "good"}, Pass, "", 0},
		{"captcha refused", "jane@acme.io", map[string]any{"cf-turnstile-response": "forged"}, Refused, ReasonCaptcha, 403},
		{"captcha missing", "jane@acme.io", map[string]any{}, Refused, ReasonCaptcha, 403},
		{"captcha provider down", "jane@acme.io", map[string]any{"cf-turnstile-response": "down"}, Unavailable, ReasonCaptchaUnavailable, 503},
		{"disposable address refused", "bot@Mailinator.com", map[string]any{"cf-turnstile-response": "good"}, Refused, ReasonDisposable, 422},
		{"disposable subdomain refused", "bot@x.guerrillamail.com", map[string]any{"cf-turnstile-response": "good"}, Refused, ReasonDisposable, 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var blocked []string
			g := testGuard(t, cfg, Options{Now: func() time.Time { return now }, OnBlock: func(r string) { blocked = append(blocked, r) }})
			fields := map[string]any{"message": "hello"}
			for k, v := range tc.fields {
				fields[k] = v
			}
			ev := &rules.Event{Email: tc.email, Fields: fields}
			v := g.Screen(context.Background(), ev, "198.51.100.7")
			if v.Kind != tc.want || v.Reason != tc.wantReason || v.Status != tc.wantStatus {
				t.Fatalf("verdict %+v, want kind %v reason %q status %d", v, tc.want, tc.wantReason, tc.wantStatus)
			}
			if tc.want == Unavailable && v.RetryAfter <= 0 {
				t.Errorf("an outage without Retry-After")
			}
			for _, f := range []string{"_gotcha", "_rendered_at", "cf-turnstile-response"} {
				if _, ok := ev.Fields[f]; ok {
					t.Errorf("field %q reaches the rules", f)
				}
			}
			if ev.Fields["message"] != "hello" {
				t.Errorf("fields %v lost the message", ev.Fields)
			}
			if (tc.want != Pass) != (len(blocked) == 1) || (len(blocked) == 1 && blocked[0] != tc.wantReason) {
				t.Errorf("blocked metric %v", blocked)
			}
		})
	}
}
