package rules

import (
	"net/url"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

func browserFields(l *loader, b *Browser, rule string) map[string]fieldFunc {
	str := func(dst *string, what string) fieldFunc {
		return func(_, v *yaml.Node) { *dst, _ = l.str(v, rule, "browser "+what) }
	}
	return map[string]fieldFunc{
		"redirect":         str(&b.Redirect, "redirect"),
		"error_redirect":   str(&b.ErrorRedirect, "error_redirect"),
		"lead_param":       func(_, v *yaml.Node) { b.LeadParam, _ = l.boolean(v, rule, "browser lead_param") },
		"spam_answer":      str(&b.SpamAnswer, "spam_answer"),
		"allowed_origins":  func(_, v *yaml.Node) { b.AllowedOrigins = l.strList(v, rule, "browser allowed_origins") },
		"honeypot":         str(&b.Honeypot, "honeypot"),
		"min_submit_time":  func(_, v *yaml.Node) { b.MinSubmitTime = l.duration(v, rule, "browser min_submit_time", time.Hour) },
		"rendered_field":   str(&b.RenderedField, "rendered_field"),
		"disposable_email": str(&b.DisposableEmail, "disposable_email"),
		"captcha": func(_, v *yaml.Node) {
			b.Captcha = &Captcha{}
			l.decodeCaptcha(v, rule, b.Captcha)
		},
		"rate_limit": func(_, v *yaml.Node) {
			l.mapping(v, rule, "browser rate_limit", rateLimitFields(l, &b.RateLimit, rule))
		},
	}
}

func captchaFields(l *loader, c *Captcha, rule string, present map[string]bool) map[string]fieldFunc {
	str := func(dst *string, what string) fieldFunc {
		return func(_, v *yaml.Node) { present[what] = true; *dst, _ = l.str(v, rule, "captcha "+what) }
	}
	return map[string]fieldFunc{
		"provider": str(&c.Provider, "provider"),
		"secret": func(_, v *yaml.Node) {
			s, _ := l.str(v, rule, "captcha secret")
			c.Secret = Secret(s)
		},
		"min_score": func(_, v *yaml.Node) {
			present["min_score"] = true
			c.MinScore, _ = l.number(v, rule, "captcha min_score")
		},
		"field":      str(&c.Field, "field"),
		"verify_url": str(&c.VerifyURL, "verify_url"),
		"timeout":    func(_, v *yaml.Node) { c.Timeout = l.duration(v, rule, "captcha timeout", MaxCaptchaTimeout) },
	}
}

func rateLimitFields(l *loader, r *RateLimit, rule string) map[string]fieldFunc {
	rate := func(dst *Rate, what string) fieldFunc {
		return func(_, v *yaml.Node) {
			s, ok := l.str(v, rule, "rate_limit "+what)
			if !ok {
				return
			}
			var err error
			if *dst, err = ParseRate(s); err != nil {
				l.errorf(v, rule, "rate_limit %s: %v", what, err)
			}
		}
	}
	return map[string]fieldFunc{
		"per_ip":     rate(&r.PerIP, "per_ip"),
		"per_source": rate(&r.PerSource, "per_source"),
		"max_clients": func(_, v *yaml.Node) {
			n, ok := l.integer(v, rule, "rate_limit max_clients")
			if ok && (n < 1 || n > 1_000_000) {
				l.errorf(v, rule, "rate_limit max_clients must be from 1 to 1000000, not %d", n)
			}
			r.MaxClients = int(n)
		},
	}
}

// duration reads a positive Go duration of at most limit.
func (l *loader) duration(v *yaml.Node, rule, what string, limit time.Duration) time.Duration {
	s, ok := l.str(v, rule, what)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 || d > limit {
		l.errorf(v, rule, "%s %q is not a positive duration up to %s, like \"3s\"", what, s, limit)
		return 0
	}
	return d
}

func (l *loader) decodeBrowser(v *yaml.Node, rule string, b *Browser) {
	if !l.mapping(v, rule, "browser", browserFields(l, b, rule)) {
		return
	}
	l.checkPageURL(v, rule, "redirect", b.Redirect)
	l.checkPageURL(v, rule, "error_redirect", b.ErrorRedirect)
	if b.LeadParam && b.Redirect == "" {
		l.errorf(v, rule, "browser lead_param needs a redirect to add ?lead= to")
	}
	if b.SpamAnswer == "" {
		b.SpamAnswer = SpamAnswerSuccess
	} else if b.SpamAnswer != SpamAnswerSuccess && b.SpamAnswer != SpamAnswerError {
		l.errorf(v, rule, "browser spam_answer must be %q or %q, not %q", SpamAnswerSuccess, SpamAnswerError, b.SpamAnswer)
	}
	if b.DisposableEmail == "" {
		b.DisposableEmail = DisposableAllow
	} else if b.DisposableEmail != DisposableAllow && b.DisposableEmail != DisposableRefuse {
		l.errorf(v, rule, "browser disposable_email must be %q or %q, not %q", DisposableAllow, DisposableRefuse, b.DisposableEmail)
	}
	for _, o := range b.AllowedOrigins {
		if _, err := ParseOriginPattern(o); err != nil {
			l.errorf(v, rule, "browser allowed_origins: %v", err)
		}
	}
	if b.RenderedField == "" {
		b.RenderedField = DefaultRenderedField
	}
	if b.RateLimit.MaxClients == 0 {
		b.RateLimit.MaxClients = DefaultMaxClients
	}
}

// checkPageURL requires an absolute http(s) URL where one is set.
func (l *loader) checkPageURL(n *yaml.Node, rule, what, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.errorf(n, rule, "browser %s %q is not an absolute http(s) URL", what, s)
	}
}

func (l *loader) decodeCaptcha(v *yaml.Node, rule string, c *Captcha) {
	present := map[string]bool{}
	if !l.mapping(v, rule, "captcha", captchaFields(l, c, rule, present)) {
		return
	}
	if !slices.Contains(CaptchaProviders(), c.Provider) {
		l.errorf(v, rule, "captcha provider must be one of %s, not %q", strings.Join(CaptchaProviders(), ", "), c.Provider)
		return
	}
	if c.Secret == "" {
		l.errorf(v, rule, "captcha needs a non-empty secret (the provider's secret key, from ${VAR})")
	}
	if present["min_score"] && c.Provider != "recaptcha" {
		l.errorf(v, rule, "captcha min_score applies to provider \"recaptcha\" (v3) only, not %q", c.Provider)
	}
	if c.MinScore < 0 || c.MinScore > 1 {
		l.errorf(v, rule, "captcha min_score must be from 0 to 1, not %v", c.MinScore)
	}
	field, verify := CaptchaDefaults(c.Provider)
	if c.Field == "" {
		c.Field = field
	}
	if c.VerifyURL == "" {
		c.VerifyURL = verify
	} else if u, err := url.Parse(c.VerifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.errorf(v, rule, "captcha verify_url %q is not an absolute http(s) URL", c.VerifyURL)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultCaptchaTimeout
	}
}

// checkBrowserSource checks what the browser block needs of its source.
func (l *loader) checkBrowserSource(v *yaml.Node, rule string, src *Source) {
	if src.Format != "form" && src.Format != "json" {
		l.errorf(v, rule, "browser applies to formats \"form\" and \"json\" (what pages post), not %q", src.Format)
	}
	if bodySignedAuth(src.Auth.Type) {
		l.warnf(v, rule, "browser source with auth %q: a page cannot sign without publishing the secret; use auth: {type: none} with allowed_origins, a honeypot, a captcha and rate limits", src.Auth.Type)
	}
	b := src.Browser
	if b.Honeypot != "" && b.Captcha != nil && b.Honeypot == b.Captcha.Field {
		l.errorf(v, rule, "browser honeypot %q is the captcha's token field", b.Honeypot)
	}
}

func bodySignedAuth(typ string) bool {
	switch typ {
	case "hmac-sha256", "standard-webhooks", "typeform", "webflow", "tally", "stripe", "github", "mailgun", "sns":
		return true
	}
	return false
}
