package rules_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

func browserDoc(block string) string {
	return "sources:\n  contact:\n    format: form\n    auth: {type: none}\n    browser:\n" + block +
		"labels: [Spam]\nrules:\n  - name: r\n    when: 'true'\n    actions: [{assign_label: Spam}]\n"
}

func TestBrowserBlockLoads(t *testing.T) {
	doc := browserDoc(`      redirect: https://www.example.com/thanks
      lead_param: true
      error_redirect: https://www.example.com/oops
      allowed_origins: [https://www.example.com, '*.example.org', 'http://localhost:8000']
      honeypot: _gotcha
      min_submit_time: 3s
      captcha: {provider: recaptcha, secret: s3cret, min_score: 0.5}
      rate_limit: {per_ip: 5/m, per_source: 100/10m}
      disposable_email: refuse
`)
	set, err := rules.Load("rules.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	src, _ := set.Source("contact")
	b := src.Browser
	if b == nil {
		t.Fatal("no browser block")
	}
	if b.SpamAnswer != rules.SpamAnswerSuccess || b.RenderedField != rules.DefaultRenderedField || b.RateLimit.MaxClients != rules.DefaultMaxClients {
		t.Errorf("defaults not applied: %+v", b)
	}
	if b.Captcha.Field != "g-recaptcha-response" || !strings.Contains(b.Captcha.VerifyURL, "google.com/recaptcha") || b.Captcha.Timeout != rules.DefaultCaptchaTimeout {
		t.Errorf("captcha defaults: %+v", b.Captcha)
	}
	if b.RateLimit.PerIP != (rules.Rate{Events: 5, Per: time.Minute}) || b.RateLimit.PerSource != (rules.Rate{Events: 100, Per: 10 * time.Minute}) {
		t.Errorf("rates %+v", b.RateLimit)
	}
	if b.MinSubmitTime != 3*time.Second || !b.LeadParam || b.DisposableEmail != rules.DisposableRefuse {
		t.Errorf("block %+v", b)
	}
	if js, _ := json.Marshal(src); strings.Contains(string(js), "s3cret") || strings.Contains(fmt.Sprintf("%+v %#v", *b.Captcha, *b.Captcha), "s3cret") {
		t.Errorf("the captcha secret prints: %s", js)
	}
}

func TestBrowserBlockErrors(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		want  string // in the error, with its line
		wantL string
	}{
		{"unknown key", browserDoc("      redirct: https://x.example/\n"), `unknown key "redirct" in browser`, "rules.yaml:6:"},
		{"relative redirect", browserDoc("      redirect: /thanks\n"), `browser redirect "/thanks" is not an absolute http(s) URL`, "rules.yaml:6:"},
		{"lead_param without redirect", browserDoc("      lead_param: true\n"), "lead_param needs a redirect", "rules.yaml:6:"},
		{"spam_answer", browserDoc("      spam_answer: silent\n"), `spam_answer must be "success" or "error", not "silent"`, "rules.yaml:6:"},
		{"any origin", browserDoc("      allowed_origins: ['*']\n"), "list the origins", "rules.yaml:6:"},
		{"null origin", browserDoc("      allowed_origins: ['null']\n"), "cannot be allowed", "rules.yaml:6:"},
		{"origin with a path", browserDoc("      allowed_origins: [https://example.com/contact]\n"), "no path", "rules.yaml:6:"},
		{"min_submit_time", browserDoc("      min_submit_time: soon\n"), `browser min_submit_time "soon" is not a positive duration`, "rules.yaml:6:"},
		{"captcha provider", browserDoc("      captcha: {provider: friendly, secret: s}\n"), `captcha provider must be one of turnstile, recaptcha, hcaptcha, not "friendly"`, "rules.yaml:6:"},
		{"captcha secret", browserDoc("      captcha: {provider: turnstile, secret: ''}\n"), "captcha needs a non-empty secret", "rules.yaml:6:"},
		{"min_score off recaptcha", browserDoc("      captcha: {provider: hcaptcha, secret: s, min_score: 0.5}\n"), `min_score applies to provider "recaptcha"`, "rules.yaml:6:"},
		{"min_score range", browserDoc("      captcha: {provider: recaptcha, secret: s, min_score: 5}\n"), "min_score must be from 0 to 1", "rules.yaml:6:"},
		{"captcha timeout", browserDoc("      captcha: {provider: turnstile, secret: s, timeout: 1m}\n"), "captcha timeout", "rules.yaml:6:"},
		{"rate", browserDoc("      rate_limit: {per_ip: lots}\n"), `rate_limit per_ip: rate "lots" is not like "10/m"`, "rules.yaml:6:"},
		{"rate unit", browserDoc("      rate_limit: {per_source: 5/week}\n"), `"week" is not s, m, h or a positive duration`, "rules.yaml:6:"},
		{"max_clients", browserDoc("      rate_limit: {per_ip: 5/m, max_clients: 0}\n"), "max_clients must be from 1 to 1000000", "rules.yaml:6:"},
		{"disposable_email", browserDoc("      disposable_email: label\n"), `disposable_email must be "allow" or "refuse"`, "rules.yaml:6:"},
		{"format", strings.Replace(browserDoc("      honeypot: _gotcha\n"), "format: form", "format: mailgun", 1), `browser applies to formats "form" and "json"`, "rules.yaml:3:"},
		{"honeypot is the token field", browserDoc("      honeypot: cf-turnstile-response\n      captcha: {provider: turnstile, secret: s}\n"), "is the captcha's token field", "rules.yaml:3:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Load("rules.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatalf("loaded:\n%s", tc.doc)
			}
			var line string
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.Contains(l, tc.want) {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("error lacks %q:\n%v", tc.want, err)
			}
			if !strings.Contains(line, tc.wantL) || !strings.Contains(line, `source "contact"`) {
				t.Errorf("message %q does not name %s and the source", line, tc.wantL)
			}
		})
	}
}

func TestEmailKinds(t *testing.T) {
	tests := []struct {
		email            string
		disposable, role bool
	}{
		{"jane@acme.io", false, false},
		{"bot@mailinator.com", true, false},
		{"bot@MAILINATOR.COM", true, false},
		{"x@sub.guerrillamail.com", true, false},
		{"x@notmailinator.com", false, false},
		{"x@mailinator.com.evil.io", false, false},
		{"info@acme.io", false, true},
		{"Sales+web@acme.io", false, true},
		{"salesman@acme.io", false, false},
		{"support@yopmail.com", true, true},
		{"no-at-sign", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			if got := rules.IsDisposableEmail(tc.email); got != tc.disposable {
				t.Errorf("IsDisposableEmail = %v, want %v", got, tc.disposable)
			}
			if got := rules.IsRoleEmail(tc.email); got != tc.role {
				t.Errorf("IsRoleEmail = %v, want %v", got, tc.role)
			}
		})
	}
	if rules.DisposableEmailDomains() < 50 {
		t.Errorf("only %d disposable domains", rules.DisposableEmailDomains())
	}
}
