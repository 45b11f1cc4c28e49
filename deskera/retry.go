package deskera

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/leadhook/leadhook/internal/obs"
)

// maxReply bounds the size of a reply body the client reads.
const maxReply = 32 << 20

// request describes one API call.
type request struct {
	op         string
	method     string
	path       string // without query
	url        string // absolute URL without query, instead of base URL + path
	query      url.Values
	rawQuery   string // the encoded query, instead of query (the hot search)
	body       any
	idempotent bool // false: retried only when it provably never reached Deskera
	basicUser  string
	basicPass  secret // with basicUser: HTTP Basic instead of x-access-token
	attempts   int    // set by do: how many attempts were made
	status     int    // set by do: the last attempt's HTTP status (0: none)
}

// reply is a received HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
	gen    uint64        // token generation the request was sent with
	buf    *bytes.Buffer // pooled buffer holding body (see release)
}

// release returns the reply's buffer to the pool: body is not to be used
// afterwards (decoding copies what it keeps).
func (r *reply) release() {
	if r != nil && r.buf != nil {
		putBuf(r.buf)
		r.buf, r.body = nil, nil
	}
}

// retryable carries a retryable error and the server's Retry-After through
// backoff.Retry, which waits for the *backoff.RetryAfterError it finds.
type retryable struct {
	err   error
	after *backoff.RetryAfterError
}

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() []error {
	if e.after == nil {
		return []error{e.err}
	}
	return []error{e.err, e.after}
}

// do runs r with rate limiting, authentication, per-attempt timeouts and
// retries, and decodes a non-empty 2xx body into out (when out is non-nil).
// The first attempt runs before any retry machinery is built: a call that
// succeeds at once (almost all) costs no backoff state.
func (c *Client) do(ctx context.Context, r *request, out any) (err error) {
	ctx, span := c.startSpan(ctx, r)
	defer func() { endSpan(span, r, err) }()
	body, err := encode(r)
	if err != nil {
		return err
	}
	defer body.release()
	payload := body.bytes()
	started := time.Now()
	var refreshed bool
	r.attempts = 1 // the first attempt, as attempts.next would make it
	rep, err := c.attempt(ctx, r, payload, &refreshed, 1)
	if err != nil {
		// The retries' state and their copy of r (their closures keep
		// both): only a failed first attempt allocates them, so r stays
		// on its caller's stack. r gets the copy's attempts and status.
		rc := *r
		a := &attempts{c: c, r: &rc, payload: payload, refreshed: refreshed, n: 1, last: err}
		rep, err = c.retry(ctx, a, rep, err, started)
		r.attempts, r.status = rc.attempts, rc.status
		if err != nil {
			return c.finalError(ctx, r, err, a.last)
		}
	}
	defer rep.release()
	return decodeReply(r, &rep, out)
}

// attempts is the state of one call's attempts.
type attempts struct {
	c         *Client
	r         *request
	payload   []byte
	refreshed bool
	n         int
	last      error
}

func (a *attempts) next(ctx context.Context) (reply, error) {
	a.n++
	a.r.attempts = a.n
	rep, err := a.c.attempt(ctx, a.r, a.payload, &a.refreshed, a.n)
	if err != nil {
		a.last = err
	}
	return rep, err
}

// retry continues after a first attempt that failed with (rep, err),
// exactly as backoff.Retry would have from the start: the first result is
// its first try, and the time budget counts from started.
func (c *Client) retry(ctx context.Context, a *attempts, rep reply, err error, started time.Time) (reply, error) {
	first := true
	op := func() (reply, error) {
		if first {
			first = false
			return rep, err
		}
		return a.next(ctx)
	}
	// backoff takes 0 as "no limit": a spent budget is 1ns (no retry).
	left := max(c.maxElapsed-time.Since(started), time.Nanosecond)
	return backoff.Retry(ctx, op,
		backoff.WithBackOff(c.newBackOff()),
		backoff.WithMaxTries(c.maxAttempts),
		backoff.WithMaxElapsedTime(left),
		backoff.WithNotify(func(err error, d time.Duration) { c.logRetry(ctx, a.r, a.n, err, d) }))
}

// payload is a request body encoded into a pooled buffer.
type payload struct{ buf *bytes.Buffer }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled bounds the buffers kept for reuse (a large reply or body is
// left to the GC).
const maxPooled = 64 << 10

func getBuf() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuf(b *bytes.Buffer) {
	if b != nil && b.Cap() <= maxPooled {
		bufPool.Put(b)
	}
}

func (p payload) bytes() []byte {
	if p.buf == nil {
		return nil
	}
	return p.buf.Bytes()
}

func (p payload) release() { putBuf(p.buf) }

// encode marshals r's body into a pooled buffer (no body: an empty
// payload). The encoder's trailing newline is dropped, so the bytes are
// json.Marshal's.
func encode(r *request) (payload, error) {
	if r.body == nil {
		return payload{}, nil
	}
	buf := getBuf()
	if d, ok := r.body.(*ContactSaveDto); ok && d != nil {
		buf.Grow(512) // a lead's create body fits
		if b, ok := appendSaveDto(buf.AvailableBuffer(), d); ok {
			buf.Write(b) // b is in buf's free space, or a grown copy of it
			return payload{buf: buf}, nil
		}
	}
	if err := json.NewEncoder(buf).Encode(r.body); err != nil {
		putBuf(buf)
		return payload{}, fmt.Errorf("deskera: %s: encode body: %w", r.op, err)
	}
	buf.Truncate(buf.Len() - 1)
	return payload{buf: buf}, nil
}

func (c *Client) newBackOff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = c.backoffMin, c.backoffMax
	b.Multiplier, b.RandomizationFactor = 2, 0.5
	return b
}

// finalError unwraps the retry plumbing and names the operation when the
// caller's context ended the retries while waiting.
func (c *Client) finalError(ctx context.Context, r *request, err, last error) error {
	var re *retryable
	if errors.As(err, &re) {
		err = re.err
	}
	if cause := context.Cause(ctx); cause != nil && err == cause {
		if last != nil {
			err = fmt.Errorf("deskera: %s: %w (last error: %v)", r.op, cause, last)
		} else {
			err = fmt.Errorf("deskera: %s: %w", r.op, cause)
		}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "deskera: request failed", slog.String("op", r.op), slog.String("err", err.Error()))
	return err
}

func (c *Client) logRetry(ctx context.Context, r *request, attempt int, err error, d time.Duration) {
	c.log.LogAttrs(ctx, slog.LevelWarn, "deskera: retrying",
		slog.String("op", r.op), slog.Int("attempt", attempt),
		slog.Float64("delay_ms", obs.Millis(d)), slog.String("err", err.Error()))
}

// attempt sends r once (twice when a 401 triggers the one token refresh)
// and classifies the outcome for backoff.Retry.
func (c *Client) attempt(ctx context.Context, r *request, payload []byte, refreshed *bool, n int) (reply, error) {
	rep, err := c.send(ctx, r, payload, n)
	if err == nil && rep.status == http.StatusUnauthorized && r.basicUser == "" && c.auth.canRefresh() && !*refreshed {
		*refreshed = true
		if rerr := c.auth.refresh(ctx, rep.gen); rerr != nil {
			return reply{}, backoff.Permanent(rerr)
		}
		rep, err = c.send(ctx, r, payload, n)
	}
	if err != nil {
		return reply{}, c.classifyTransport(ctx, r, err)
	}
	return rep, c.classifyStatus(r, &rep)
}

// send performs one HTTP round trip within the per-attempt timeout.
func (c *Client) send(ctx context.Context, r *request, payload []byte, n int) (reply, error) {
	if err := ctx.Err(); err != nil {
		return reply{}, &notSent{err}
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("client rate limit: %w: %v", context.DeadlineExceeded, err)
			}
			return reply{}, &notSent{err}
		}
	}
	actx, cancel := c.attemptContext(ctx)
	defer cancel()
	req, gen, err := c.newRequest(ctx, actx, r, payload)
	if err != nil {
		return reply{}, &notSent{err}
	}
	start := time.Now()
	rep, err := c.roundTrip(req)
	c.record(ctx, r, rep.status, err, time.Since(start), n)
	rep.gen = gen
	return rep, err
}

// attemptContext bounds one attempt by the client's timeout. When ctx
// ends no later, its deadline serves as it is: a context with the same
// deadline would only cost a timer and its registration with ctx (the
// reply is read whole before the attempt ends, so nothing is left to
// cancel).
func (c *Client) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && !dl.After(time.Now().Add(c.timeout)) {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

func (c *Client) roundTrip(req *http.Request) (reply, error) {
	resp, err := c.exchange(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a refresh token
		}
		return reply{}, err
	}
	defer resp.Body.Close()
	buf := getBuf()
	if err := readReply(buf, resp); err != nil {
		putBuf(buf)
		return reply{}, fmt.Errorf("read reply: %w", err)
	}
	if buf.Len() > maxReply {
		putBuf(buf)
		return reply{}, fmt.Errorf("reply larger than %d bytes", maxReply)
	}
	if err := decodeGzip(req, resp, &buf); err != nil {
		putBuf(buf)
		return reply{}, fmt.Errorf("read reply: %w", err)
	}
	if buf.Len() > maxReply {
		putBuf(buf)
		return reply{}, fmt.Errorf("reply larger than %d bytes", maxReply)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: buf.Bytes(), buf: buf}, nil
}

// readReply reads resp's body into buf, at most maxReply+1 bytes. A
// body of announced length within the bound is read in one piece of that
// size (net/http ends the body there; a shorter one is an unexpected
// EOF either way) without a limiting reader, which would be an
// allocation per call. A length of 0 is not trusted: a hand-built
// Response (a test's transport) often leaves it unset.
func readReply(buf *bytes.Buffer, resp *http.Response) error {
	n := resp.ContentLength
	if n <= 0 || n > maxReply {
		_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxReply+1))
		return err
	}
	buf.Grow(int(n))
	b := buf.AvailableBuffer()[:n]
	if _, err := io.ReadFull(resp.Body, b); err != nil {
		return err
	}
	buf.Write(b) // b is buf's own free space: this only extends its length
	return nil
}

// exchange sends req: straight to the transport when the client would
// add nothing (c.direct; a URL with a user gets the client's basic auth),
// with what http.Client guarantees of the transport's answer (a response
// or an error, and a body), else through the client.
func (c *Client) exchange(req *http.Request) (*http.Response, error) {
	if c.direct == nil || req.URL.User != nil {
		return c.http.Do(req)
	}
	resp, err := c.direct.RoundTrip(req)
	switch {
	case err != nil:
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, err
	case resp == nil:
		return nil, errors.New("http: RoundTripper returned a nil *Response with a nil error")
	case resp.Body == nil:
		resp.Body = http.NoBody
	}
	return resp, nil
}

// newRequest builds r's HTTP request on actx (the attempt's context,
// with its timeout); the access token is obtained on ctx. A request to
// the base URL with a plain path is built as http.NewRequestWithContext
// would build it, in one allocation with its URL and body reader
// (outgoing), without parsing the URL; any other goes through
// http.NewRequestWithContext (buildRequest).
func (c *Client) newRequest(ctx, actx context.Context, r *request, payload []byte) (*http.Request, uint64, error) {
	if c.base == nil || r.url != "" || r.basicUser != "" || !plainPath(r.path) {
		return c.buildRequest(ctx, actx, r, payload)
	}
	tok, gen, err := c.auth.current(ctx)
	if err != nil {
		return nil, 0, err
	}
	o := &outgoing{url: *c.base}
	o.url.Path = c.base.Path + r.path
	o.url.RawQuery = r.encodedQuery()
	// WithContext (inlined) copies a Request into one on the stack: o.req
	// gets its context without a Request of its own on the heap.
	o.req = *(&http.Request{Method: r.method, URL: &o.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Host: c.baseHost}).WithContext(actx)
	req := &o.req
	if payload != nil {
		// What NewRequestWithContext does with a *bytes.Reader body (the
		// transport knows it in memory through io.NopCloser).
		req.ContentLength = int64(len(payload))
		if len(payload) == 0 {
			req.Body = http.NoBody
			req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		} else {
			o.body.Reset(payload)
			req.Body = io.NopCloser(&o.body)
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
		}
	}
	req.Header = c.header(ctx, tok, payload != nil)
	return req, gen, nil
}

// outgoing is a request built by newRequest: the request, its URL and
// its body's reader in one allocation.
type outgoing struct {
	req  http.Request
	url  url.URL
	body bytes.Reader
}

// plainPath reports whether p is a path that needs no escaping (what
// every Deskera path the client builds is: letters, digits, ids), so
// that it serves as a URL's Path and its escaped form alike.
func plainPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '-', c == '_', c == '.', c == '~':
		default:
			return false
		}
	}
	return true
}

// buildRequest builds r's HTTP request with http.NewRequestWithContext:
// a request with its own URL (the token endpoint's), HTTP Basic
// credentials, or a path to escape.
func (c *Client) buildRequest(ctx, actx context.Context, r *request, payload []byte) (*http.Request, uint64, error) {
	u := c.requestURL(r)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u, body)
	if err != nil {
		return nil, 0, fmt.Errorf("deskera: %s: build request for %s", r.op, r.path)
	}
	if r.basicUser != "" {
		setFixedHeaders(ctx, req.Header, payload != nil)
		req.SetBasicAuth(r.basicUser, r.basicPass.reveal())
		return req, 0, nil
	}
	tok, gen, err := c.auth.current(ctx)
	if err != nil {
		return nil, 0, err
	}
	setFixedHeaders(ctx, req.Header, payload != nil)
	req.Header[hdrAccessToken] = c.auth.headerValue(tok)
	return req, gen, nil
}

// header is the header of a request carrying tok (and a JSON body when
// body). Without a trace context to send, and when the request goes
// straight to an *http.Transport (which never modifies a request's
// header), it is the token's shared header (tokenHeader); else one of
// its own.
func (c *Client) header(ctx context.Context, tok secret, body bool) http.Header {
	if c.shareHeader && !obs.Injects(ctx) {
		return c.auth.shared(tok).header(body)
	}
	return requestHeader(ctx, c.auth.headerValue(tok), body, c.gzip)
}

// requestHeader is a new header carrying the token value tok: the fixed
// headers (setFixedHeaders, with ctx's trace context), and Accept-Encoding
// when the client asks for gzip itself. The shared headers of a token
// (tokenHeader) are built by it too, on a context without a trace.
func requestHeader(ctx context.Context, tok []string, body, gzip bool) http.Header {
	h := make(http.Header, 6)
	setFixedHeaders(ctx, h, body)
	h[hdrAccessToken] = tok
	if gzip {
		h[hdrAcceptEncoding] = gzipValue
	}
	return h
}

// setFixedHeaders sets the headers every request has on h: Accept,
// User-Agent, traceparent (Deskera's side of the trace) and, with a
// body, Content-Type. Shared value slices: neither net/http nor the
// transport modifies a request's header values, and these never change.
func setFixedHeaders(ctx context.Context, h http.Header, body bool) {
	h[hdrAccept] = jsonValue
	h[hdrUserAgent] = userAgentValue
	obs.Inject(ctx, h)
	if body {
		h[hdrContentType] = jsonValue
	}
}

// requestURL is r's URL (r.url or the base URL and r.path, with its
// query), built in one concatenation.
func (c *Client) requestURL(r *request) string {
	base, path := c.baseURL, r.path
	if r.url != "" {
		base, path = r.url, ""
	}
	if q := r.encodedQuery(); q != "" {
		return base + path + "?" + q
	}
	return base + path
}

// encodedQuery is r's query, encoded.
func (r *request) encodedQuery() string {
	if r.rawQuery != "" || len(r.query) == 0 {
		return r.rawQuery
	}
	return r.query.Encode()
}

// The fixed request headers (canonical names, shared values).
const (
	hdrAccept      = "Accept"
	hdrUserAgent   = "User-Agent"
	hdrContentType = "Content-Type"
	hdrAccessToken = "X-Access-Token" // x-access-token, canonical as Header.Set would make it
)

var (
	jsonValue      = []string{"application/json"}
	userAgentValue = []string{"leadhook-deskera/1"}
)

// record reports an attempt with its reply's status (0: no reply).
func (c *Client) record(ctx context.Context, r *request, status int, err error, d time.Duration, n int) {
	r.status = status
	if c.observe != nil {
		c.observe(r.op, status, d)
	}
	observeAttempt(ctx, Attempt{Op: r.op, Method: r.method, Path: r.path, Status: status, Duration: d, N: n})
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("op", r.op), slog.String("method", r.method),
		slog.String("path", r.path), slog.Int("status", status),
		slog.Float64("duration_ms", obs.Millis(d)), slog.Int("attempt", n)}
	if err != nil {
		attrs = append(attrs, slog.String("err", redact(err.Error(), c.auth.secrets()...)))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "deskera: request", attrs...)
}

// notSent marks a failure before the request left the client.
type notSent struct{ err error }

func (e *notSent) Error() string { return e.err.Error() }
func (e *notSent) Unwrap() error { return e.err }

// classifyTransport decides whether a request without an answer is retried.
// A non-idempotent request is retried only when it provably never reached
// the server (not sent, or the connection was refused / never dialled).
func (c *Client) classifyTransport(ctx context.Context, r *request, err error) error {
	var ns *notSent
	if errors.As(err, &ns) {
		if strings.HasPrefix(ns.err.Error(), "deskera:") {
			return backoff.Permanent(ns.err)
		}
		return backoff.Permanent(fmt.Errorf("deskera: %s: %w", r.op, ns.err))
	}
	te := &transportError{op: r.op, method: r.method, path: r.path, err: err}
	switch {
	case ctx.Err() != nil:
		if !r.idempotent {
			return backoff.Permanent(&outcomeUnknownError{op: r.op, err: te})
		}
		return backoff.Permanent(te)
	case r.idempotent || neverSent(err):
		return &retryable{err: te}
	}
	return backoff.Permanent(&outcomeUnknownError{op: r.op, err: te})
}

// neverSent reports whether err proves the request never reached a server.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

// classifyStatus turns a non-2xx reply into an error, retryable for 429
// and 502/503/504 when the request is idempotent. A non-idempotent request
// (a create) is never retried once it reached Deskera: a 429 or 5xx answer
// gives an error matching ErrOutcomeUnknown.
func (c *Client) classifyStatus(r *request, rep *reply) error {
	if rep.status >= 200 && rep.status < 300 {
		return nil
	}
	api := &APIError{Op: r.op, StatusCode: rep.status, Method: r.method, Path: r.path,
		Body: excerpt(rep.body, c.auth.secrets()...)}
	api.Message = redact(message(rep.body), c.auth.secrets()...)
	switch rep.status {
	case http.StatusTooManyRequests:
		hint := retryAfterHint(rep.header)
		rl := &RateLimitError{Err: api}
		if hint != nil {
			rl.RetryAfter = hint.Duration
		}
		if !r.idempotent {
			// A 429 does not prove the request was not applied: Deskera
			// has been seen to commit a create and still answer 429.
			// The caller searches before it creates again.
			return backoff.Permanent(&outcomeUnknownError{op: r.op, err: rl})
		}
		return &retryable{err: rl, after: hint}
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if r.idempotent {
			return &retryable{err: api, after: retryAfterHint(rep.header)}
		}
	}
	if r.op == "oauth.token" && rep.status >= 500 {
		// The refresh may have reached Deskera: retry it (see tokenSource.fetch).
		return &retryable{err: api, after: retryAfterHint(rep.header)}
	}
	if (rep.status == http.StatusUnauthorized || rep.status == http.StatusForbidden) && r.basicUser == "" {
		hint := "set a new DESKERA_ACCESS_TOKEN and restart leadhook"
		if c.auth.canRefresh() {
			hint = "Deskera refuses a freshly refreshed access token: check the OAuth client's permissions, or set a new DESKERA_REFRESH_TOKEN and restart leadhook"
		}
		return backoff.Permanent(&credentialsError{hint: hint, err: api})
	}
	if !r.idempotent && rep.status >= 500 {
		return backoff.Permanent(&outcomeUnknownError{op: r.op, err: api})
	}
	return backoff.Permanent(api)
}

func retryAfterHint(h http.Header) *backoff.RetryAfterError {
	if d := retryAfter(h.Get("Retry-After"), time.Now()); d > 0 {
		return &backoff.RetryAfterError{Duration: d}
	}
	return nil
}

// retryAfter parses a Retry-After value: delay seconds (a decimal is
// tolerated) or an HTTP date. 0 when absent or unparsable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// message extracts a human message from an error body.
func message(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, k := range []string{"message", "errorMessage", "error_description", "error", "msg"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// decodeReply decodes a 2xx body into out; an empty body leaves out as is.
func decodeReply(r *request, rep *reply, out any) error {
	if out == nil || len(bytes.TrimSpace(rep.body)) == 0 {
		return nil
	}
	if decodeKnown(rep.body, out) {
		return nil // the contact replies, without reflection (fastdecode.go)
	}
	if err := json.Unmarshal(rep.body, out); err != nil {
		return fmt.Errorf("deskera: %s: malformed reply (status %d, %d bytes): %w", r.op, rep.status, len(rep.body), err)
	}
	return nil
}
