package deskera

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// secret is a credential. Every way of printing or logging it redacts it;
// only reveal returns the value.
type secret string

const redacted = "[REDACTED]"

func (s secret) String() string               { return redacted }
func (s secret) GoString() string             { return redacted }
func (s secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s secret) reveal() string               { return string(s) }

// oauthConfig holds the OAuth v2 client credentials.
type oauthConfig struct {
	clientID     string
	clientSecret secret
	refreshToken secret
	// seed is the refresh token given at start (WithOAuth); a stored
	// token rotated from another seed is not used.
	seed secret
	// tokenURL is the token endpoint ("" = the API base URL +
	// /v2/oauth/token).
	tokenURL string
	store    TokenStore // nil: rotated refresh tokens live in memory only
}

// refreshTries is how many times one refresh is tried when its answer
// is lost (transport error or 5xx) before the error is reported: a
// refresh that reached Deskera may have rotated the token.
const refreshTries = 3

// refreshMargin renews an OAuth token this long before it expires.
const refreshMargin = 30 * time.Second

// tokenSource hands out the current access token and refreshes it once
// for any number of concurrent callers (single flight).
type tokenSource struct {
	client *Client
	oauth  *oauthConfig
	flight singleflight.Group // one refresh at a time, shared by its callers

	mu      sync.Mutex
	token   secret
	expiry  time.Time // zero: unknown
	gen     uint64    // incremented by every successful refresh
	loaded  bool      // the token store was read
	refused error     // the last refresh was refused (ErrCredentials); nil after a success

	// header is x-access-token's value for the token last asked for: a
	// request's header takes it as it is (net/http never modifies a
	// header's values), so a token costs one slice, not one per call.
	header atomic.Pointer[tokenHeader]
}

// tokenHeader is a token, the header value that carries it, and the
// whole headers of the requests that send it without a trace context
// (with and without a JSON body). None is modified once stored: requests
// share them (see Client.header).
type tokenHeader struct {
	token     secret
	value     []string
	get, post http.Header
}

// header is the shared header of a request without (GET, DELETE) or
// with a JSON body.
func (h *tokenHeader) header(body bool) http.Header {
	if body {
		return h.post
	}
	return h.get
}

// headerValue is the x-access-token value carrying tok, built once per
// token and shared by every request that sends it.
func (ts *tokenSource) headerValue(tok secret) []string { return ts.shared(tok).value }

// shared is tok's tokenHeader, built once per token.
func (ts *tokenSource) shared(tok secret) *tokenHeader {
	if h := ts.header.Load(); h != nil && h.token == tok {
		return h
	}
	h := &tokenHeader{token: tok, value: []string{tok.reveal()}}
	gzip := ts.client != nil && ts.client.gzip
	h.get = requestHeader(context.Background(), h.value, false, gzip)
	h.post = requestHeader(context.Background(), h.value, true, gzip)
	ts.header.Store(h)
	return h
}

func (ts *tokenSource) mode() string {
	if ts.oauth != nil {
		return "oauth"
	}
	return "token"
}

func (ts *tokenSource) canRefresh() bool { return ts.oauth != nil }

// secrets returns every credential value, for scrubbing error bodies.
func (ts *tokenSource) secrets() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := []string{ts.token.reveal()}
	if ts.oauth != nil {
		out = append(out, ts.oauth.clientSecret.reveal(), ts.oauth.refreshToken.reveal(), ts.oauth.seed.reveal())
	}
	return out
}

// current returns the token to use and its generation, refreshing first
// when there is none yet or it has expired.
func (ts *tokenSource) current(ctx context.Context) (secret, uint64, error) {
	ts.mu.Lock()
	tok, gen := ts.token, ts.gen
	stale := tok == "" || (!ts.expiry.IsZero() && time.Now().After(ts.expiry))
	ts.mu.Unlock()
	if !stale || !ts.canRefresh() {
		return tok, gen, nil
	}
	if err := ts.refresh(ctx, gen); err != nil {
		return "", 0, err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.token, ts.gen, nil
}

// refresh renews the token unless it changed since generation seen. All
// concurrent callers share one request; each waits only as long as its ctx
// allows, and the request runs to its end without the caller's cancellation.
func (ts *tokenSource) refresh(ctx context.Context, seen uint64) error {
	if !ts.stale(seen) {
		return nil
	}
	flight := ts.flight.DoChan("refresh", func() (any, error) {
		if !ts.stale(seen) { // a refresh finished between the check and the flight
			return nil, nil
		}
		return nil, ts.run(context.WithoutCancel(ctx))
	})
	select {
	case res := <-flight:
		return res.Err
	case <-ctx.Done():
		return fmt.Errorf("deskera: oauth.token: %w", context.Cause(ctx))
	}
}

// stale reports whether no refresh succeeded since generation seen.
func (ts *tokenSource) stale(seen uint64) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.gen == seen
}

// run performs one refresh and publishes its result.
func (ts *tokenSource) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, refreshTries*(ts.client.maxElapsed+ts.client.timeout))
	defer cancel()
	ts.loadStored(ctx)
	tok, err := ts.fetch(ctx)
	if err != nil {
		ts.refusedBy(ctx, err)
		return err
	}
	ts.mu.Lock()
	ts.token, ts.expiry = secret(tok.AccessToken), tok.expiry()
	rotated := tok.RefreshToken != "" && tok.RefreshToken != ts.oauth.refreshToken.reveal()
	if tok.RefreshToken != "" {
		ts.oauth.refreshToken = secret(tok.RefreshToken)
	}
	ts.gen++
	if ts.refused != nil {
		ts.client.log.LogAttrs(ctx, slog.LevelInfo, "deskera: credentials accepted again")
	}
	ts.refused = nil
	ts.mu.Unlock()
	if rotated {
		ts.save(ctx, tok.RefreshToken)
	}
	return nil
}

// refusedBy remembers a refused refresh and says so once at ERROR.
func (ts *tokenSource) refusedBy(ctx context.Context, err error) {
	if !errors.Is(err, ErrCredentials) {
		return
	}
	ts.mu.Lock()
	first := ts.refused == nil
	ts.refused = err
	ts.mu.Unlock()
	if first {
		// One clear line for the operator (later refusals are not
		// repeated at ERROR); no credential value is part of it.
		ts.client.log.LogAttrs(ctx, slog.LevelError, "deskera: OAuth refresh token refused; every delivery answers 503 until it is fixed",
			slog.String("action", CredentialsHint(err)), slog.String("err", err.Error()))
	}
}

// fetch exchanges the refresh token, retrying a refresh whose answer
// was lost (transport error or 5xx) with the same refresh token before
// giving up, and once more with the stored token when Deskera refuses
// ours (another replica may have rotated it).
func (ts *tokenSource) fetch(ctx context.Context) (*tokenReply, error) {
	var err error
	lost := false
	for try := 0; try < refreshTries; try++ {
		var tok *tokenReply
		var tries int
		tok, tries, err = ts.client.fetchToken(ctx, ts.oauth)
		if err == nil {
			return tok, nil
		}
		if tries > 1 {
			lost = true // an earlier attempt got no usable answer
		}
		if _, temp := Temporary(err); temp || isServerError(err) {
			lost = true
			if ctx.Err() != nil {
				break
			}
			continue
		}
		break
	}
	if !refusedToken(err) {
		return nil, err
	}
	if ts.loadStored(ctx) {
		if tok, _, err2 := ts.client.fetchToken(ctx, ts.oauth); err2 == nil {
			return tok, nil
		}
	}
	hint := "set a new DESKERA_REFRESH_TOKEN (and DESKERA_CLIENT_ID / DESKERA_CLIENT_SECRET if they changed) and restart leadhook"
	if lost {
		hint = "a refresh answer was lost, so Deskera may have rotated the refresh token; " + hint
	}
	return nil, &credentialsError{hint: hint, err: err}
}

// refusedToken reports whether the token endpoint refused our refresh
// token or client credentials (400 invalid_grant, 401, 403).
func refusedToken(err error) bool {
	var api *APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}

func isServerError(err error) bool {
	var api *APIError
	return errors.As(err, &api) && api.StatusCode >= 500
}

// loadStored adopts the token store's refresh token when it was rotated
// from the same seed and differs from ours; it reports whether it did.
func (ts *tokenSource) loadStored(ctx context.Context) bool {
	if ts.oauth.store == nil {
		return false
	}
	st, err := ts.oauth.store.Load(ctx)
	if err != nil {
		ts.client.log.LogAttrs(ctx, slog.LevelError, "deskera: cannot read the stored refresh token", slog.String("err", err.Error()))
		return false
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.loaded = true
	if st.RefreshToken == "" || st.Seed != seedHash(ts.oauth.seed) || st.RefreshToken == ts.oauth.refreshToken.reveal() {
		return false
	}
	ts.oauth.refreshToken = secret(st.RefreshToken)
	return true
}

// save keeps a rotated refresh token for restarts and other replicas.
func (ts *tokenSource) save(ctx context.Context, refresh string) {
	if ts.oauth.store == nil {
		return
	}
	if err := ts.oauth.store.Save(ctx, StoredToken{Seed: seedHash(ts.oauth.seed), RefreshToken: refresh}); err != nil {
		ts.client.log.LogAttrs(ctx, slog.LevelError, "deskera: cannot store the rotated refresh token; a restart will need a new DESKERA_REFRESH_TOKEN",
			slog.String("err", err.Error()))
	}
}

// tokenReply is the answer of POST /v2/oauth/token.
type tokenReply struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
}

// expiry is when to renew the token; zero when expires_in is absent.
func (r *tokenReply) expiry() time.Time {
	n, err := strconv.ParseFloat(strings.Trim(string(r.ExpiresIn), `"`), 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	ttl := time.Duration(n * float64(time.Second))
	return time.Now().Add(ttl - min(refreshMargin, ttl/2))
}

// fetchToken exchanges the refresh token for an access token; it also
// returns how many attempts were made.
func (c *Client) fetchToken(ctx context.Context, o *oauthConfig) (*tokenReply, int, error) {
	c.auth.mu.Lock()
	rt := o.refreshToken
	c.auth.mu.Unlock()
	q := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.reveal()}}
	r := &request{op: "oauth.token", method: http.MethodPost, path: "/v2/oauth/token", url: o.tokenURL,
		query: q, idempotent: true, basicUser: o.clientID, basicPass: o.clientSecret}
	var tok tokenReply
	if err := c.do(ctx, r, &tok); err != nil {
		return nil, r.attempts, err
	}
	if tok.AccessToken == "" {
		return nil, r.attempts, errors.New("deskera: oauth.token: reply has no access_token")
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "deskera: access token refreshed", slog.Any("client", c))
	return &tok, r.attempts, nil
}
