package browser

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

const testCaptchaSecret = "0x4AAAAAAAtest-secret-never-shown"

// fakeSiteverify follows the providers' documented siteverify: a form
// POST of secret, response and remoteip, answered with JSON. It records
// what it was sent.
type fakeSiteverify struct {
	mu     sync.Mutex
	forms  []map[string]string
	answer func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeSiteverify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.forms = append(f.forms, map[string]string{"secret": r.PostForm.Get("secret"), "response": r.PostForm.Get("response"), "remoteip": r.PostForm.Get("remoteip"), "content-type": r.Header.Get("Content-Type")})
	f.mu.Unlock()
	f.answer(w, r)
}

// calls returns the forms received so far.
func (f *fakeSiteverify) calls() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.forms...)
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// slowProvider is the one case of TestSiteverify that meets its timeout.
const slowProvider = "provider slower than the timeout"

func TestSiteverify(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		minScore float64
		token    string
		answer   func(http.ResponseWriter, *http.Request)
		closed   bool // the provider cannot be reached at all
		want     error
	}{
		{"turnstile success", "turnstile", 0, "tok", jsonAnswer(200, `{"success":true,"hostname":"www.example.com","error-codes":[]}`), false, nil},
		{"turnstile refuses the token", "turnstile", 0, "tok", jsonAnswer(200, `{"success":false,"error-codes":["invalid-input-response"]}`), false, ErrCaptchaFailed},
		{"token already used", "hcaptcha", 0, "tok", jsonAnswer(200, `{"success":false,"error-codes":["timeout-or-duplicate"]}`), false, ErrCaptchaFailed},
		{"no token sent: refused without a call", "turnstile", 0, "", jsonAnswer(200, `{"success":true}`), false, ErrCaptchaFailed},
		{"our secret refused is ours to fix, not the visitor's", "turnstile", 0, "tok", jsonAnswer(200, `{"success":false,"error-codes":["invalid-input-secret"]}`), false, ErrCaptchaConfig},
		{"reCAPTCHA: our secret missing", "recaptcha", 0, "tok", jsonAnswer(200, `{"success":false,"error-codes":["missing-input-secret"]}`), false, ErrCaptchaConfig},
		{"provider internal error", "turnstile", 0, "tok", jsonAnswer(200, `{"success":false,"error-codes":["internal-error"]}`), false, ErrCaptchaUnavailable},
		{"provider 500", "recaptcha", 0, "tok", jsonAnswer(500, `oops`), false, ErrCaptchaUnavailable},
		{"provider 429", "hcaptcha", 0, "tok", jsonAnswer(429, `{}`), false, ErrCaptchaUnavailable},
		{"an HTML error page with 200", "recaptcha", 0, "tok", jsonAnswer(200, `<html>maintenance</html>`), false, ErrCaptchaUnavailable},
		{"JSON without success is not a verdict", "recaptcha", 0, "tok", jsonAnswer(200, `{"score":0.9}`), false, ErrCaptchaUnavailable},
		{"success as a string is not a verdict", "recaptcha", 0, "tok", jsonAnswer(200, `{"success":"true"}`), false, ErrCaptchaUnavailable},
		{"reCAPTCHA v3 score above the threshold", "recaptcha", 0.5, "tok", jsonAnswer(200, `{"success":true,"score":0.9,"action":"contact"}`), false, nil},
		{"reCAPTCHA v3 score at the threshold", "recaptcha", 0.5, "tok", jsonAnswer(200, `{"success":true,"score":0.5}`), false, nil},
		{"reCAPTCHA v3 score below the threshold", "recaptcha", 0.5, "tok", jsonAnswer(200, `{"success":true,"score":0.1}`), false, ErrCaptchaLowScore},
		{"reCAPTCHA v3 threshold but no score (a v2 key)", "recaptcha", 0.5, "tok", jsonAnswer(200, `{"success":true}`), false, ErrCaptchaUnavailable},
		{"reCAPTCHA v2 ignores a score", "recaptcha", 0, "tok", jsonAnswer(200, `{"success":true,"score":0.1}`), false, nil},
		{"provider unreachable", "turnstile", 0, "tok", nil, true, ErrCaptchaUnavailable},
		{slowProvider, "turnstile", 0, "tok", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // answers only once the client gave up
		}, false, ErrCaptchaUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSiteverify{answer: tc.answer}
			srv := httptest.NewServer(fake)
			if tc.closed {
				srv.Close()
			} else {
				defer srv.Close()
			}
			// Only the slow case meets the timeout; the others have a
			// generous one, so that a loaded machine cannot turn an
			// answer into ErrCaptchaUnavailable.
			timeout := 30 * time.Second
			if tc.name == slowProvider {
				timeout = 200 * time.Millisecond
			}
			v, err := NewSiteverify(rules.Captcha{Provider: tc.provider, Secret: testCaptchaSecret, MinScore: tc.minScore,
				VerifyURL: srv.URL + "/siteverify", Timeout: timeout}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(context.Background(), tc.token, "198.51.100.7")
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, ErrCaptchaConfig) && !errors.Is(err, ErrCaptchaUnavailable) {
				t.Errorf("a refused secret is not a temporary failure: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), testCaptchaSecret) {
				t.Errorf("error shows the secret: %v", err)
			}
			forms := fake.calls()
			switch {
			case tc.token == "" || tc.closed:
				if len(forms) != 0 {
					t.Errorf("provider called %d times", len(forms))
				}
				return
			case tc.name == slowProvider:
				return // the client may give up before the fake has read the form
			case len(forms) != 1:
				t.Fatalf("provider called %d times, want 1", len(forms))
			}
			got := forms[0]
			if got["secret"] != testCaptchaSecret || got["response"] != tc.token || got["remoteip"] != "198.51.100.7" || got["content-type"] != "application/x-www-form-urlencoded" {
				t.Errorf("siteverify got %v", got)
			}
		})
	}
}

func TestSiteverifyDefaults(t *testing.T) {
	for _, p := range rules.CaptchaProviders() {
		t.Run(p, func(t *testing.T) {
			v, err := NewSiteverify(rules.Captcha{Provider: p, Secret: "s"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v.url, "https://") || !strings.HasSuffix(v.url, "siteverify") || v.timeout != rules.DefaultCaptchaTimeout {
				t.Errorf("url %q timeout %v", v.url, v.timeout)
			}
		})
	}
	if _, err := NewSiteverify(rules.Captcha{Provider: "turnstile"}, nil); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := NewSiteverify(rules.Captcha{Provider: "friendlycaptcha", Secret: "s"}, nil); err == nil {
		t.Error("unknown provider accepted")
	}
}
