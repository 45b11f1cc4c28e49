package deskera

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/leadhook/leadhook/internal/obs"
)

// DefaultBaseURL is Deskera's production API.
const DefaultBaseURL = "https://bifrost.deskera.com"

// Defaults of a new Client.
const (
	DefaultTimeout     = 15 * time.Second // per attempt
	DefaultMaxAttempts = 4
	DefaultMaxElapsed  = 30 * time.Second
	DefaultRate        = 10.0 // requests per second; Deskera publishes no limit
	DefaultBurst       = 20
)

// Client calls the Deskera CRM contacts API. It is safe for concurrent use.
// Create it with NewClient.
type Client struct {
	baseURL     string
	base        *url.URL // baseURL parsed, when newRequest may build on it (nil: always NewRequestWithContext)
	baseHost    string   // the Host of a request to base, as NewRequestWithContext sets it
	shareHeader bool     // direct is an *http.Transport: requests may share a header (see header)
	gzip        bool     // and it would ask for gzip: the client asks and decodes instead (gzip.go)
	http        *http.Client
	direct      http.RoundTripper // http's transport when http would add nothing to a call (see direct)
	auth        *tokenSource
	timeout     time.Duration
	maxAttempts uint
	maxElapsed  time.Duration
	backoffMin  time.Duration
	backoffMax  time.Duration
	limiter     *rate.Limiter // nil: unlimited
	log         *slog.Logger
	observe     func(op string, status int, d time.Duration)
	tracer      trace.Tracer
	tracing     bool // WithTracerProvider: a span per call (else none is started)
}

// config is what the options set before NewClient validates it.
type config struct {
	Client
	token string
	oauth *oauthConfig
	rps   float64
	burst int
}

// Option configures a Client. Options validate their input; NewClient
// returns the first error.
type Option func(*config) error

// WithBaseURL sets the API root (default DefaultBaseURL). It may carry a
// path prefix (e.g. a sandbox mounted under /sandbox).
func WithBaseURL(raw string) Option {
	return func(c *config) error {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("deskera: base url %q must be an absolute http(s) url", raw)
		}
		c.baseURL = strings.TrimRight(u.String(), "/")
		return nil
	}
}

// WithAccessToken authenticates with a static x-access-token. Combined with
// WithOAuth it is the first token used before any refresh.
func WithAccessToken(token string) Option {
	return func(c *config) error {
		if token == "" {
			return errors.New("deskera: empty access token")
		}
		c.token = token
		return nil
	}
}

// WithOAuth authenticates with Deskera's OAuth v2 refresh flow: the access
// token is obtained (and renewed on expiry or on a 401) from
// POST /v2/oauth/token with the refresh token and HTTP Basic client
// credentials.
func WithOAuth(clientID, clientSecret, refreshToken string) Option {
	return func(c *config) error {
		if clientID == "" || clientSecret == "" || refreshToken == "" {
			return errors.New("deskera: oauth needs a client id, a client secret and a refresh token")
		}
		var url string
		var store TokenStore
		if c.oauth != nil {
			url, store = c.oauth.tokenURL, c.oauth.store
		}
		c.oauth = &oauthConfig{clientID: clientID, clientSecret: secret(clientSecret), refreshToken: secret(refreshToken),
			seed: secret(refreshToken), tokenURL: url, store: store}
		return nil
	}
}

// WithOAuthURL sets the OAuth token endpoint (default: the base URL +
// /v2/oauth/token); Deskera's production token endpoint is not on the API
// host. Give it after WithOAuth.
func WithOAuthURL(raw string) Option {
	return func(c *config) error {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return fmt.Errorf("deskera: oauth url %q must be an absolute http(s) url without a query", raw)
		}
		if c.oauth == nil {
			return errors.New("deskera: WithOAuthURL needs WithOAuth first")
		}
		c.oauth.tokenURL = u.String()
		return nil
	}
}

// WithTokenStore keeps rotated OAuth refresh tokens in store, so that they
// survive a restart (and are shared by replicas using the same store).
// Give it after WithOAuth.
func WithTokenStore(store TokenStore) Option {
	return func(c *config) error {
		if c.oauth == nil || store == nil {
			return errors.New("deskera: WithTokenStore needs WithOAuth first and a store")
		}
		c.oauth.store = store
		return nil
	}
}

// WithHTTPClient sets the underlying *http.Client (default: a new client
// with http.DefaultTransport). The client uses a copy that does not follow
// redirects. Its Timeout should be 0; use WithTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("deskera: nil http client")
		}
		c.http = hc
		return nil
	}
}

// WithTimeout bounds each attempt (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("deskera: timeout %s must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetry bounds retries: at most maxAttempts attempts per call (1
// disables retrying) within maxElapsed in total (defaults
// DefaultMaxAttempts, DefaultMaxElapsed).
func WithRetry(maxAttempts int, maxElapsed time.Duration) Option {
	return func(c *config) error {
		if maxAttempts < 1 || maxElapsed <= 0 {
			return fmt.Errorf("deskera: retry needs at least 1 attempt and a positive time, got %d and %s", maxAttempts, maxElapsed)
		}
		c.maxAttempts, c.maxElapsed = uint(maxAttempts), maxElapsed
		return nil
	}
}

// WithBackoff sets the first and the largest delay between retries
// (defaults 250ms and 5s); delays grow exponentially with ±50% jitter.
func WithBackoff(initial, maxDelay time.Duration) Option {
	return func(c *config) error {
		if initial <= 0 || maxDelay < initial {
			return fmt.Errorf("deskera: backoff %s..%s must be positive and increasing", initial, maxDelay)
		}
		c.backoffMin, c.backoffMax = initial, maxDelay
		return nil
	}
}

// WithRateLimit sets the client-side token bucket: rps requests per second
// with bursts of burst (default DefaultRate, DefaultBurst). rps 0 disables
// limiting.
func WithRateLimit(rps float64, burst int) Option {
	return func(c *config) error {
		if rps < 0 || (rps > 0 && burst < 1) {
			return fmt.Errorf("deskera: rate limit %v/s burst %d is invalid", rps, burst)
		}
		c.rps, c.burst = rps, burst
		return nil
	}
}

// WithLogger sets the logger (default: discard). Tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("deskera: nil logger")
		}
		c.log = obs.Logger(l)
		return nil
	}
}

// WithTracerProvider traces every call (one client span each, with the
// op, method and final status) and sends its W3C traceparent to Deskera.
// Default: no tracing (the traceparent of the caller's span, if any, is
// still sent).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if tp == nil {
			return errors.New("deskera: nil tracer provider")
		}
		c.tracer, c.tracing = obs.Tracer(tp), true
		return nil
	}
}

// WithObserver registers fn, called after every HTTP attempt with the
// operation name, the status (0 for a transport error) and the duration.
func WithObserver(fn func(op string, status int, d time.Duration)) Option {
	return func(c *config) error {
		c.observe = fn
		return nil
	}
}

// NewClient returns a Client. It needs WithAccessToken or WithOAuth.
func NewClient(opts ...Option) (*Client, error) {
	cfg := &config{Client: Client{
		baseURL: DefaultBaseURL, timeout: DefaultTimeout,
		maxAttempts: DefaultMaxAttempts, maxElapsed: DefaultMaxElapsed,
		backoffMin: 250 * time.Millisecond, backoffMax: 5 * time.Second,
		log: slog.New(slog.DiscardHandler), tracer: obs.Tracer(nil),
	}, rps: DefaultRate, burst: DefaultBurst}
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.token == "" && cfg.oauth == nil {
		return nil, errors.New("deskera: no credentials: use WithAccessToken or WithOAuth")
	}
	c := cfg.Client
	c.http = noRedirects(c.http)
	c.direct = direct(c.http)
	c.base, c.baseHost = requestBase(c.baseURL)
	if t, ok := c.direct.(*http.Transport); ok {
		c.shareHeader, c.gzip = true, !t.DisableCompression
	}
	if cfg.rps > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.rps), cfg.burst)
	}
	c.auth = &tokenSource{token: secret(cfg.token), oauth: cfg.oauth, client: &c}
	return &c, nil
}

// noRedirects returns a copy of hc (or of a default client) that never
// follows redirects: x-access-token is a custom header that net/http would
// forward to another host. A 3xx answer becomes an *APIError.
func noRedirects(hc *http.Client) *http.Client {
	out := &http.Client{}
	if hc != nil {
		*out = *hc
	}
	if out.Transport == nil {
		out.Transport = pooledTransport()
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return out
}

// direct returns hc's transport when hc, given a request without a
// user in its URL, would add nothing to the transport's round trip: no
// cookie jar, no client timeout, and (noRedirects) no redirect followed.
// A call through http.Client would then only cost its redirect
// machinery (a copy of the request's headers, kept for a redirect that
// never comes). Nil when hc does more.
func direct(hc *http.Client) http.RoundTripper {
	if hc.Jar != nil || hc.Timeout != 0 {
		return nil
	}
	return hc.Transport
}

// requestBase parses the base URL for newRequest, with the Host a
// request to it gets (its empty port removed, as NewRequestWithContext
// does). Nil when a request URL is not base + path + query with the path
// as it is: the base has escapes (RawPath), user info, a query or a
// fragment.
func requestBase(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawPath != "" || u.RawQuery != "" || u.ForceQuery ||
		u.Fragment != "" || u.Host == "" {
		return nil, ""
	}
	host := u.Host
	if strings.LastIndex(host, ":") > strings.LastIndex(host, "]") {
		host = strings.TrimSuffix(host, ":")
	}
	return u, host
}

// MaxIdleConnsPerHost is how many idle connections to Deskera the default
// transport keeps. net/http keeps 2, so with more concurrent deliveries
// almost every call would open (and TLS-handshake) a new connection.
const MaxIdleConnsPerHost = 64

// pooledTransport is http.DefaultTransport with MaxIdleConnsPerHost idle
// connections per host.
func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return t
}

// String describes the client without credentials.
func (c *Client) String() string {
	return fmt.Sprintf("deskera.Client{base_url: %s, auth: %s}", c.baseURL, c.auth.mode())
}

// LogValue describes the client for slog without credentials.
func (c *Client) LogValue() slog.Value {
	limit := "off"
	if c.limiter != nil {
		limit = fmt.Sprintf("%v/s burst %d", float64(c.limiter.Limit()), c.limiter.Burst())
	}
	return slog.GroupValue(
		slog.String("base_url", c.baseURL),
		slog.String("auth", c.auth.mode()),
		slog.Float64("timeout_ms", obs.Millis(c.timeout)),
		slog.Int("max_attempts", int(c.maxAttempts)),
		slog.String("rate_limit", limit),
	)
}

// GoString keeps %#v from printing credentials.
func (c *Client) GoString() string { return c.String() }
