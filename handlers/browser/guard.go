package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Reasons a submission is blocked (the reason label of
// leadhook_browser_blocked_total and the ?error= of error_redirect).
const (
	ReasonOrigin             = "origin"
	ReasonRateLimited        = "rate_limited"
	ReasonHoneypot           = "honeypot"
	ReasonTooFast            = "too_fast"
	ReasonCaptcha            = "captcha"
	ReasonLowScore           = "low_score"
	ReasonCaptchaUnavailable = "captcha_unavailable"
	ReasonDisposable         = "disposable"
)

// Reasons lists every reason, for metrics to pre-declare.
func Reasons() []string {
	return []string{ReasonOrigin, ReasonRateLimited, ReasonHoneypot, ReasonTooFast, ReasonCaptcha, ReasonLowScore, ReasonCaptchaUnavailable, ReasonDisposable}
}

// Kind is what a check decided.
type Kind int

// Verdict kinds.
const (
	Pass        Kind = iota // go on
	Spam                    // act on nothing; answer per spam_answer
	Refused                 // the submission's fault: a 4xx
	Unavailable             // ours or a provider's: 503, send again later
)

// Verdict is the outcome of Admit or Screen.
type Verdict struct {
	Kind       Kind
	Reason     string
	Status     int    // Refused, Unavailable
	Field      string // the field at fault, when there is one
	Message    string // for people and JSON
	RetryAfter time.Duration
}

// Options configures a Guard.
type Options struct {
	// Now is the clock for rate limits and render times (time.Now).
	Now func() time.Time
	// HTTPClient calls the captcha provider (a plain client).
	HTTPClient *http.Client
	// Logger gets one line per blocked submission (discard).
	Logger *slog.Logger
	// OnBlock is called once per blocked submission or preflight with
	// its reason (metrics).
	OnBlock func(reason string)
}

// Guard enforces one source's browser block.
type Guard struct {
	source  string
	cfg     rules.Browser
	origins *Origins
	limits  *Limits
	captcha *Siteverify // nil: no captcha
	now     func() time.Time
	log     *slog.Logger
	onBlock func(string)
}

// New builds the guard of src, which must have a browser block.
func New(src rules.Source, opts Options) (*Guard, error) {
	if src.Browser == nil {
		return nil, fmt.Errorf("browser: source %q has no browser block", src.Name)
	}
	g := &Guard{source: src.Name, cfg: *src.Browser, now: opts.Now, log: opts.Logger, onBlock: opts.OnBlock}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.cfg.RenderedField == "" {
		g.cfg.RenderedField = rules.DefaultRenderedField
	}
	var err error
	if g.origins, err = NewOrigins(g.cfg.AllowedOrigins); err != nil {
		return nil, fmt.Errorf("browser: source %q: %w", src.Name, err)
	}
	if g.limits, err = NewLimits(g.cfg.RateLimit); err != nil {
		return nil, fmt.Errorf("browser: source %q: %w", src.Name, err)
	}
	if g.cfg.Captcha != nil {
		if g.captcha, err = NewSiteverify(*g.cfg.Captcha, opts.HTTPClient); err != nil {
			return nil, fmt.Errorf("browser: source %q: %w", src.Name, err)
		}
	}
	return g, nil
}

// Config is the browser block in force.
func (g *Guard) Config() rules.Browser { return g.cfg }

func (g *Guard) block(reason string) {
	if g.onBlock != nil {
		g.onBlock(reason)
	}
}

func (g *Guard) verdict(v Verdict, clientIP string) Verdict {
	g.block(v.Reason)
	g.log.Info("browser submission blocked", "source", g.source, "reason", v.Reason, "remote_ip", clientIP)
	return v
}

// Admit runs the checks that need no body: the page's origin (Origin,
// else Referer, when the browser sends one; "null" never passes) and the
// rate limits for clientIP (the address --trusted-proxies gives).
func (g *Guard) Admit(r *http.Request, clientIP string) Verdict {
	if !g.origins.Empty() {
		origin, present := r.Header.Get("Origin"), len(r.Header.Values("Origin")) > 0
		if !present {
			if ref := r.Header.Get("Referer"); ref != "" {
				origin, present = refererOrigin(ref), true
			}
		}
		if present && !g.origins.Allowed(origin) {
			return g.verdict(Verdict{Kind: Refused, Reason: ReasonOrigin, Status: http.StatusForbidden, Field: "Origin",
				Message: "this form may not be posted from that site"}, clientIP)
		}
	}
	if wait, ok := g.limits.Take(clientIP, g.now()); !ok {
		return g.verdict(Verdict{Kind: Refused, Reason: ReasonRateLimited, Status: http.StatusTooManyRequests,
			Message: "too many submissions; wait a moment and send again", RetryAfter: wait}, clientIP)
	}
	return Verdict{Kind: Pass}
}

// Screen runs the checks on the parsed submission: honeypot, render
// time, captcha, disposable address. It removes the honeypot, render
// time and captcha token fields from ev, so rules never see them.
func (g *Guard) Screen(ctx context.Context, ev *rules.Event, clientIP string) Verdict {
	honey := g.take(ev, g.cfg.Honeypot)
	rendered := g.take(ev, g.cfg.RenderedField)
	var token string
	if g.captcha != nil {
		token = g.take(ev, g.cfg.Captcha.Field)
		if g.cfg.Captcha.Provider == "hcaptcha" {
			g.take(ev, "g-recaptcha-response") // hCaptcha's widget sends both
		}
	}
	if g.cfg.Honeypot != "" && strings.TrimSpace(honey) != "" {
		return g.verdict(Verdict{Kind: Spam, Reason: ReasonHoneypot}, clientIP)
	}
	if g.cfg.MinSubmitTime > 0 && g.tooFast(rendered) {
		return g.verdict(Verdict{Kind: Spam, Reason: ReasonTooFast}, clientIP)
	}
	if g.captcha != nil {
		if v, ok := g.checkCaptcha(ctx, token, clientIP); !ok {
			return v
		}
	}
	if g.cfg.DisposableEmail == rules.DisposableRefuse && rules.IsDisposableEmail(ev.Email) {
		return g.verdict(Verdict{Kind: Refused, Reason: ReasonDisposable, Status: http.StatusUnprocessableEntity, Field: "email",
			Message: "please use an address you keep: disposable email addresses are not accepted"}, clientIP)
	}
	return Verdict{Kind: Pass}
}

func (g *Guard) checkCaptcha(ctx context.Context, token, clientIP string) (Verdict, bool) {
	err := g.captcha.Verify(ctx, token, clientIP)
	switch {
	case err == nil:
		return Verdict{Kind: Pass}, true
	case errors.Is(err, ErrCaptchaLowScore):
		return g.verdict(Verdict{Kind: Spam, Reason: ReasonLowScore}, clientIP), false
	case errors.Is(err, ErrCaptchaFailed):
		return g.verdict(Verdict{Kind: Refused, Reason: ReasonCaptcha, Status: http.StatusForbidden, Field: g.cfg.Captcha.Field,
			Message: "the check that you are not a robot did not pass; reload the page and send again"}, clientIP), false
	}
	if errors.Is(err, ErrCaptchaConfig) {
		g.log.Error("captcha provider refuses our secret: browser submissions are not taken until it is fixed", "source", g.source, "err", err.Error())
	} else {
		g.log.Warn("captcha provider unavailable: submission not taken", "source", g.source, "err", err.Error())
	}
	return g.verdict(Verdict{Kind: Unavailable, Reason: ReasonCaptchaUnavailable, Status: http.StatusServiceUnavailable,
		Message: "we could not check the form just now; nothing was saved, send again in a minute", RetryAfter: 30 * time.Second}, clientIP), false
}

// tooFast reports whether a render time (Unix ms from the page's clock)
// is less than MinSubmitTime ago. No value, a bad one, or one in the
// future (the visitor's clock is ahead) lets the submission through:
// only a page that really ran its script and was sent at once is spam.
func (g *Guard) tooFast(rendered string) bool {
	ms, err := strconv.ParseInt(strings.TrimSpace(rendered), 10, 64)
	if err != nil || ms <= 0 {
		return false
	}
	elapsed := g.now().Sub(time.UnixMilli(ms))
	return elapsed >= 0 && elapsed < g.cfg.MinSubmitTime
}

// take removes field name from ev and returns its value as a string.
func (g *Guard) take(ev *rules.Event, name string) string {
	if name == "" || ev.Fields == nil {
		return ""
	}
	v, ok := ev.Fields[name]
	if !ok {
		return ""
	}
	delete(ev.Fields, name)
	switch t := v.(type) {
	case string:
		return t
	case []string:
		return strings.Join(t, "")
	case []any:
		var b strings.Builder
		for _, x := range t {
			fmt.Fprint(&b, x)
		}
		return b.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// SpamAsSuccess reports whether spam is answered like a taken submission.
func (g *Guard) SpamAsSuccess() bool { return g.cfg.SpamAnswer != rules.SpamAnswerError }
