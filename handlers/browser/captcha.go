package browser

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Captcha verdicts. ErrCaptchaFailed and ErrCaptchaLowScore are the
// submission's fault; ErrCaptchaUnavailable is ours or the provider's
// (temporary: the visitor may send again).
var (
	ErrCaptchaFailed      = errors.New("captcha check failed")
	ErrCaptchaLowScore    = errors.New("captcha score below the threshold")
	ErrCaptchaUnavailable = errors.New("captcha provider unavailable")
	// ErrCaptchaConfig comes wrapped with ErrCaptchaUnavailable when the
	// provider blames our request (the secret): ours to fix.
	ErrCaptchaConfig = errors.New("captcha provider refused our secret or request")
)

// Siteverify checks captcha tokens with a provider's siteverify endpoint.
// Turnstile, reCAPTCHA and hCaptcha share its shape: a form POST of
// secret, response and remoteip, answered {"success": bool,
// "error-codes": [...], "score": n (reCAPTCHA v3)}.
type Siteverify struct {
	provider string
	secret   rules.Secret
	url      string
	minScore float64
	timeout  time.Duration
	client   *http.Client
}

// NewSiteverify builds the checker for cfg; client nil is a plain client
// (the per-call timeout bounds it either way).
func NewSiteverify(cfg rules.Captcha, client *http.Client) (*Siteverify, error) {
	if !slices.Contains(rules.CaptchaProviders(), cfg.Provider) {
		return nil, fmt.Errorf("captcha: unknown provider %q", cfg.Provider)
	}
	if cfg.Secret == "" {
		return nil, errors.New("captcha: empty secret")
	}
	_, def := rules.CaptchaDefaults(cfg.Provider)
	v := &Siteverify{provider: cfg.Provider, secret: cfg.Secret, url: cmp.Or(cfg.VerifyURL, def),
		minScore: cfg.MinScore, timeout: cfg.Timeout, client: client}
	if v.timeout <= 0 {
		v.timeout = rules.DefaultCaptchaTimeout
	}
	if v.client == nil {
		v.client = &http.Client{}
	}
	if u, err := url.Parse(v.url); err != nil || u.Host == "" {
		return nil, fmt.Errorf("captcha: verify_url %q is not an absolute URL", v.url)
	}
	return v, nil
}

// siteverifyAnswer is the providers' common answer.
type siteverifyAnswer struct {
	Success    *bool    `json:"success"`
	Score      *float64 `json:"score"`
	ErrorCodes []string `json:"error-codes"`
}

// ourFault are error codes that blame our request (secret, format), not
// the visitor's token: temporary failures to fix on our side.
var ourFault = []string{
	"missing-input-secret", "invalid-input-secret", "invalid-or-already-seen-secret",
	"bad-request", "internal-error", "sitekey-secret-mismatch", "invalid-keys",
}

// Verify checks token from remoteIP. nil: a human; ErrCaptchaFailed or
// ErrCaptchaLowScore (wrapped): the token is refused; ErrCaptchaUnavailable
// (wrapped): the provider could not say (timeout, network, 5xx, an
// answer that is not its JSON, or an error code blaming our secret).
func (v *Siteverify) Verify(ctx context.Context, token, remoteIP string) error {
	if strings.TrimSpace(token) == "" {
		return fmt.Errorf("%w: no token in the form", ErrCaptchaFailed)
	}
	if len(token) > 4096 {
		return fmt.Errorf("%w: token too long", ErrCaptchaFailed)
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	form := url.Values{"secret": {v.secret.Reveal()}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.url, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %s", ErrCaptchaUnavailable, v.provider)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		// The secret travels in the body, never in the URL or the error.
		return fmt.Errorf("%w: %s: %s", ErrCaptchaUnavailable, v.provider, transportKind(ctx, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("%w: %s: reading the answer: %s", ErrCaptchaUnavailable, v.provider, transportKind(ctx, err))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %d", ErrCaptchaUnavailable, v.provider, resp.StatusCode)
	}
	var ans siteverifyAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.Success == nil {
		return fmt.Errorf("%w: %s answered something that is not a siteverify answer", ErrCaptchaUnavailable, v.provider)
	}
	for _, c := range ans.ErrorCodes {
		if slices.Contains(ourFault, c) {
			return fmt.Errorf("%w: %w: %s said %q: check the captcha secret", ErrCaptchaUnavailable, ErrCaptchaConfig, v.provider, c)
		}
	}
	if !*ans.Success {
		return fmt.Errorf("%w: %s: %q", ErrCaptchaFailed, v.provider, strings.Join(ans.ErrorCodes, ","))
	}
	if v.minScore > 0 {
		if ans.Score == nil {
			return fmt.Errorf("%w: %s gave no score (a v2 key with min_score set?)", ErrCaptchaUnavailable, v.provider)
		}
		if *ans.Score < v.minScore {
			return fmt.Errorf("%w: %.2f < %.2f", ErrCaptchaLowScore, *ans.Score, v.minScore)
		}
	}
	return nil
}

// transportKind names a transport failure without its URL.
func transportKind(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
