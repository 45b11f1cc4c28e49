package rules

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Browser configures a source that web pages post to straight from the
// visitor's browser (`browser:` under a source): how people are answered
// (redirects, built-in pages), which origins may post, and what keeps
// bots out. The handlers/browser package enforces it.
type Browser struct {
	// Redirect, when set, answers a plain form post that was taken with
	// 303 See Other to this absolute URL (else a built-in thank-you page).
	Redirect string `yaml:"redirect,omitempty" json:"redirect,omitempty"`
	// ErrorRedirect, when set, answers a refused or failed plain form post
	// with 303 See Other to this URL, with ?error=<reason> (else a built-in
	// error page with the status).
	ErrorRedirect string `yaml:"error_redirect,omitempty" json:"error_redirect,omitempty"`
	// LeadParam adds ?lead=<delivery id> to Redirect.
	LeadParam bool `yaml:"lead_param,omitempty" json:"lead_param,omitempty"`
	// SpamAnswer is how a submission blocked as spam (honeypot, too fast,
	// low captcha score) is answered: SpamAnswerSuccess (default: exactly
	// like a taken one, so bots learn nothing) or SpamAnswerError.
	SpamAnswer string `yaml:"spam_answer,omitempty" json:"spam_answer,omitempty"`
	// AllowedOrigins lists the origins pages may post from: exact
	// ("https://www.example.com", "http://localhost:8000") or a subdomain
	// wildcard ("*.example.com", https unless a scheme is given). Empty:
	// no CORS and no origin check.
	AllowedOrigins []string `yaml:"allowed_origins,omitempty" json:"allowed_origins,omitempty"`
	// Honeypot names a form field people never fill (hidden by CSS);
	// when it is filled the submission is spam.
	Honeypot string `yaml:"honeypot,omitempty" json:"honeypot,omitempty"`
	// Captcha, when set, requires a captcha token checked with the
	// provider's siteverify endpoint.
	Captcha *Captcha `yaml:"captcha,omitempty" json:"captcha,omitempty"`
	// MinSubmitTime, when set, makes a submission sent sooner than this
	// after the page was rendered spam; the page puts its render time
	// (Unix milliseconds) in RenderedField.
	MinSubmitTime time.Duration `yaml:"min_submit_time,omitempty" json:"min_submit_time,omitempty"`
	// RenderedField is the field carrying the render time
	// (DefaultRenderedField).
	RenderedField string `yaml:"rendered_field,omitempty" json:"rendered_field,omitempty"`
	// RateLimit bounds submissions per client IP and per source.
	RateLimit RateLimit `yaml:"rate_limit,omitempty" json:"rate_limit,omitzero"`
	// DisposableEmail is DisposableAllow (default: rules may label them
	// with is_disposable_email) or DisposableRefuse (422 on event.email).
	DisposableEmail string `yaml:"disposable_email,omitempty" json:"disposable_email,omitempty"`
	// Line is the line of the block in the rules file, for messages.
	Line int `yaml:"-" json:"-"`
}

// Captcha configures a captcha provider's siteverify check.
type Captcha struct {
	// Provider: see CaptchaProviders.
	Provider string `yaml:"provider" json:"provider"`
	// Secret is the provider's secret key (from ${VAR}).
	Secret Secret `yaml:"secret" json:"-"`
	// MinScore (recaptcha only, v3): a score below it is spam. 0: v2, no
	// score check.
	MinScore float64 `yaml:"min_score,omitempty" json:"min_score,omitempty"`
	// Field is the form field carrying the token (default per provider:
	// cf-turnstile-response, g-recaptcha-response, h-captcha-response).
	Field string `yaml:"field,omitempty" json:"field,omitempty"`
	// VerifyURL overrides the provider's siteverify URL (tests, proxies).
	VerifyURL string `yaml:"verify_url,omitempty" json:"verify_url,omitempty"`
	// Timeout bounds one siteverify call (DefaultCaptchaTimeout).
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// RateLimit is a pair of token buckets; a zero Rate is no limit.
type RateLimit struct {
	// PerIP is each client IP's bucket ("5/m": 5 at once, refilled at 5 a minute).
	PerIP Rate `yaml:"per_ip,omitempty" json:"per_ip,omitzero"`
	// PerSource is the source's own bucket, whatever the IP.
	PerSource Rate `yaml:"per_source,omitempty" json:"per_source,omitzero"`
	// MaxClients bounds the client IPs tracked (least recently seen
	// evicted first; DefaultMaxClients).
	MaxClients int `yaml:"max_clients,omitempty" json:"max_clients,omitempty"`
}

// Rate is Events per Per, also the bucket's burst.
type Rate struct {
	Events int           `json:"events"`
	Per    time.Duration `json:"per"`
}

// IsZero reports whether the rate is unset (no limit).
func (r Rate) IsZero() bool { return r.Events == 0 }

// String renders the rate as written ("5/1m0s").
func (r Rate) String() string {
	if r.IsZero() {
		return ""
	}
	return strconv.Itoa(r.Events) + "/" + r.Per.String()
}

// Browser defaults and enum values.
const (
	SpamAnswerSuccess     = "success"
	SpamAnswerError       = "error"
	DisposableAllow       = "allow"
	DisposableRefuse      = "refuse"
	DefaultRenderedField  = "_rendered_at"
	DefaultCaptchaTimeout = 5 * time.Second
	DefaultMaxClients     = 10000
	// MaxCaptchaTimeout keeps a slow provider within the request's budget.
	MaxCaptchaTimeout = 20 * time.Second
)

// CaptchaProviders returns the known captcha providers (Captcha.Provider).
func CaptchaProviders() []string { return []string{"turnstile", "recaptcha", "hcaptcha"} }

// CaptchaDefaults returns a provider's token field and siteverify URL.
func CaptchaDefaults(provider string) (field, verifyURL string) {
	switch provider {
	case "turnstile":
		return "cf-turnstile-response", "https://challenges.cloudflare.com/turnstile/v0/siteverify"
	case "recaptcha":
		return "g-recaptcha-response", "https://www.google.com/recaptcha/api/siteverify"
	case "hcaptcha":
		return "h-captcha-response", "https://api.hcaptcha.com/siteverify"
	}
	return "", ""
}

// ParseRate reads "N/unit" with unit s, m, h or a Go duration ("10/5m").
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q is not like \"10/m\" (events per s, m, h or a duration)", s)
	}
	events, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || events <= 0 || events > 1_000_000 {
		return Rate{}, fmt.Errorf("rate %q: %q is not a count from 1 to 1000000", s, n)
	}
	var d time.Duration
	switch per = strings.TrimSpace(per); per {
	case "s":
		d = time.Second
	case "m":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		d, err = time.ParseDuration(per)
		if err != nil || d <= 0 {
			return Rate{}, fmt.Errorf("rate %q: %q is not s, m, h or a positive duration", s, per)
		}
	}
	return Rate{Events: events, Per: d}, nil
}

// OriginPattern is one allowed_origins entry, parsed.
type OriginPattern struct {
	Scheme string
	// Host is the exact host, or for a wildcard the parent domain
	// (Wildcard true: any subdomain of it, never the domain itself).
	Host     string
	Port     string // "" is the scheme's default
	Wildcard bool
}

// ParseOriginPattern reads an allowed_origins entry: an origin
// ("https://example.com", "http://localhost:8000") or a subdomain
// wildcard ("*.example.com", "http://*.example.test:8080"). A bare "*"
// and "null" are refused: list the origins.
func ParseOriginPattern(s string) (OriginPattern, error) {
	raw := strings.TrimSpace(s)
	switch strings.ToLower(raw) {
	case "":
		return OriginPattern{}, fmt.Errorf("an empty origin")
	case "*":
		return OriginPattern{}, fmt.Errorf("%q would let any site post: list the origins (a subdomain wildcard like \"*.example.com\" is allowed)", s)
	case "null":
		return OriginPattern{}, fmt.Errorf("%q is the origin of sandboxed frames and files: it cannot be allowed", s)
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return OriginPattern{}, fmt.Errorf("%q is not an origin like \"https://www.example.com\" (scheme, host and optional port, no path)", s)
	}
	p := OriginPattern{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Hostname()), Port: u.Port()}
	if p.Scheme != "http" && p.Scheme != "https" {
		return OriginPattern{}, fmt.Errorf("%q: the scheme must be http or https", s)
	}
	if p.Port == defaultPort(p.Scheme) {
		p.Port = ""
	}
	if rest, ok := strings.CutPrefix(p.Host, "*."); ok {
		p.Host, p.Wildcard = rest, true
	}
	if strings.Contains(p.Host, "*") || p.Host == "" || (p.Wildcard && !strings.Contains(p.Host, ".")) {
		return OriginPattern{}, fmt.Errorf("%q: a wildcard must be a whole first label over a domain with a dot, like \"*.example.com\"", s)
	}
	return p, nil
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}
