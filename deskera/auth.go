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
	"time"
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
}

// refreshMargin renews an OAuth token this long before it expires.
const refreshMargin = 30 * time.Second

// tokenSource hands out the current access token and refreshes it once
// for any number of concurrent callers (single flight).
type tokenSource struct {
	client *Client
	oauth  *oauthConfig

	mu       sync.Mutex
	token    secret
	expiry   time.Time // zero: unknown
	gen      uint64    // incremented by every successful refresh
	inflight *refreshCall
}

type refreshCall struct {
	done chan struct{}
	err  error
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
		out = append(out, ts.oauth.clientSecret.reveal(), ts.oauth.refreshToken.reveal())
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
// allows.
func (ts *tokenSource) refresh(ctx context.Context, seen uint64) error {
	ts.mu.Lock()
	if ts.gen != seen {
		ts.mu.Unlock()
		return nil
	}
	call := ts.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		ts.inflight = call
		go ts.run(context.WithoutCancel(ctx), call)
	}
	ts.mu.Unlock()
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return fmt.Errorf("deskera: oauth.token: %w", context.Cause(ctx))
	}
}

// run performs one refresh and publishes its result.
func (ts *tokenSource) run(ctx context.Context, call *refreshCall) {
	ctx, cancel := context.WithTimeout(ctx, ts.client.maxElapsed+ts.client.timeout)
	defer cancel()
	tok, err := ts.client.fetchToken(ctx, ts.oauth)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if err == nil {
		ts.token, ts.expiry = secret(tok.AccessToken), tok.expiry()
		if tok.RefreshToken != "" {
			ts.oauth.refreshToken = secret(tok.RefreshToken)
		}
		ts.gen++
	}
	call.err = err
	ts.inflight = nil
	close(call.done)
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

// fetchToken exchanges the refresh token for an access token.
func (c *Client) fetchToken(ctx context.Context, o *oauthConfig) (*tokenReply, error) {
	c.auth.mu.Lock()
	rt := o.refreshToken
	c.auth.mu.Unlock()
	q := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.reveal()}}
	r := &request{op: "oauth.token", method: http.MethodPost, path: "/v2/oauth/token",
		query: q, idempotent: true, basicUser: o.clientID, basicPass: o.clientSecret}
	var tok tokenReply
	if err := c.do(ctx, r, &tok); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, errors.New("deskera: oauth.token: reply has no access_token")
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "deskera: access token refreshed", slog.Any("client", c))
	return &tok, nil
}
