package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
)

// Defaults for ServerConfig.
const (
	DefaultMaxBody        = 1 << 20
	DefaultProcessTimeout = 30 * time.Second
	// DefaultBodyTimeout bounds the time from a request's headers to the
	// end of its body: 1 MiB in 10s is a 100 KB/s link.
	DefaultBodyTimeout = 10 * time.Second
)

// ServerConfig configures the Gin router.
type ServerConfig struct {
	Service *Service // required
	Metrics *Metrics // required
	Logger  *slog.Logger
	// MaxBody is the largest accepted request body (DefaultMaxBody).
	MaxBody int64
	// MaxInFlight caps concurrent /hooks deliveries being processed;
	// beyond it 429. A request takes a slot only once its body is read,
	// so clients that send headers and never the body cannot hold them.
	// 0 = no cap.
	MaxInFlight int
	// BodyTimeout bounds reading one request body once its headers are in
	// (DefaultBodyTimeout; negative: only the server's ReadTimeout); a
	// slower body is answered 408, which senders retry.
	BodyTimeout time.Duration
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// ProcessTimeout bounds one delivery's processing; it is not cut short
	// when the sender disconnects (DefaultProcessTimeout).
	ProcessTimeout time.Duration
	// Ready reports whether the service can take traffic (/readyz);
	// nil means ready once rules are loaded.
	Ready func(ctx context.Context) error
	// ReadyDetail, when set, adds details to /readyz answers under
	// "rules" (the rules file in force, its reload status).
	ReadyDetail func() any
	// Sandbox, when set, is served under /sandbox/ (the fake Deskera).
	Sandbox http.Handler
	// Admin, when set, is served under /admin/ (the delivery history API
	// and page, see handlers/admin); nil: /admin/ answers 404.
	Admin http.Handler
	// Now is the clock for ReceivedAt (default time.Now).
	Now func() time.Time
}

// NewRouter builds the Gin engine: POST /hooks/:source, GET /healthz,
// /readyz, /metrics and, in sandbox mode, /sandbox/*.
func NewRouter(cfg ServerConfig) (*gin.Engine, error) {
	if cfg.Service == nil || cfg.Metrics == nil {
		return nil, errors.New("handlers: router needs a service and metrics")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = obs.Logger(cfg.Logger)
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.ProcessTimeout <= 0 {
		cfg.ProcessTimeout = DefaultProcessTimeout
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	if err := r.SetTrustedProxies(nil); err != nil { // client IPs are ours to compute
		return nil, fmt.Errorf("handlers: %w", err)
	}
	r.Use(requestScope(), cfg.Metrics.Middleware(), recovery(cfg.Logger, cfg.Service.Redact))
	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, ErrorBody{Error: "not found"}) })
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, ErrorBody{Error: "method not allowed"}) })

	h := &hookHandler{cfg: cfg}
	if cfg.MaxInFlight > 0 {
		h.slots = make(chan struct{}, cfg.MaxInFlight)
	}
	r.POST("/hooks/:source", h.serve)
	r.OPTIONS("/hooks/:source", h.options)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", h.ready)
	r.GET("/metrics", gin.WrapH(cfg.Metrics.Handler()))
	if cfg.Sandbox != nil {
		r.Any("/sandbox/*path", gin.WrapH(http.StripPrefix("/sandbox", cfg.Sandbox)))
	}
	if cfg.Admin != nil {
		r.Any("/admin/*path", gin.WrapH(cfg.Admin))
	}
	return r, nil
}

// requestScope starts each request's scope with its request id (see
// obs.BeginRequest) and echoes the id on every answer, including those
// given before the Service (404, 413, 429).
func requestScope() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, id := obs.BeginRequest(obs.NewScope(c.Request.Context()), c.Request.Header)
		c.Request = c.Request.WithContext(ctx)
		c.Header(obs.RequestIDHeader, id)
		c.Next()
	}
}

// recovery answers a JSON 500 for a panic and logs it without the body.
func recovery(log *slog.Logger, redact func(string) string) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		log.ErrorContext(c.Request.Context(), "panic serving request", "route", c.FullPath(), "panic", redact(fmt.Sprint(err)))
		c.AbortWithStatusJSON(http.StatusInternalServerError, ErrorBody{Error: "internal error"})
	})
}

// tooBusy is the answer when every in-flight slot is taken.
func tooBusy() Response {
	return errorResponse(http.StatusTooManyRequests, "", "too many requests in flight; retry later").withRetryAfter(time.Second)
}

type hookHandler struct {
	cfg ServerConfig
	// slots holds one token per delivery being processed (nil: no cap).
	slots chan struct{}
}

// serve reads the body (bounded), builds a webhook.Request and answers
// what the Service says.
func (h *hookHandler) serve(c *gin.Context) {
	name := c.Param("source")
	if !h.cfg.Service.HasSource(name) {
		writeResponse(c, errorResponse(http.StatusNotFound, "source", fmt.Sprintf("unknown source %q", name)))
		return
	}
	clientIP := webhook.ClientIP(c.Request.RemoteAddr, c.Request.Header, h.cfg.TrustedProxies)
	answer := writeResponse
	if g := h.cfg.Service.BrowserGuard(name); g != nil {
		if !h.admitBrowser(c, g, clientIP) {
			return
		}
		answer = func(c *gin.Context, r Response) { writeBrowser(c, g, r) }
	}
	body, resp, ok := h.readBody(c)
	if !ok {
		answer(c, resp)
		return
	}
	// The cap counts deliveries being processed, not bodies being read:
	// a client holding its body back holds no slot.
	if h.slots != nil {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			answer(c, tooBusy())
			return
		}
	}
	var query url.Values // parsed once: the request's and dry_run's; none without a query (as a queued delivery's, stored omitempty)
	if c.Request.URL.RawQuery != "" {
		query = c.Request.URL.Query()
	}
	req := &webhook.Request{
		Method:     c.Request.Method,
		Path:       c.Request.URL.Path,
		Header:     c.Request.Header,
		Query:      query,
		Body:       body,
		RemoteIP:   clientIP,
		ReceivedAt: h.cfg.Now().UTC(),
	}
	dryRun := isTrue(query.Get("dry_run"))
	ctx, cancel := processContext(c.Request.Context(), h.cfg.ProcessTimeout)
	defer cancel()
	answer(c, h.cfg.Service.Handle(ctx, name, req, dryRun))
}

// processContext outlives the sender's disconnect, but not a deadline the
// request carries (a Lambda invocation's: work past it is cut off).
// One deadline serves: the sooner of the two.
func processContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	dl := time.Now().Add(timeout)
	if pdl, ok := parent.Deadline(); ok && pdl.Before(dl) {
		dl = pdl
	}
	return context.WithDeadline(context.WithoutCancel(parent), dl)
}

// options answers the CloudEvents webhook validation handshake (OPTIONS
// with WebHook-Request-Origin) on sources with the cloudevents format;
// other sources answer 405 as for any method they do not take.
func (h *hookHandler) options(c *gin.Context) {
	name := c.Param("source")
	format, ok := h.cfg.Service.SourceFormat(name)
	if !ok {
		writeResponse(c, errorResponse(http.StatusNotFound, "source", fmt.Sprintf("unknown source %q", name)))
		return
	}
	if g := h.cfg.Service.BrowserGuard(name); g != nil {
		preflight(c, g)
		return
	}
	if format != "cloudevents" {
		c.Header("Allow", "POST")
		c.JSON(http.StatusMethodNotAllowed, ErrorBody{Error: "method not allowed"})
		return
	}
	status, hdr := webhook.CloudEventsHandshake(c.Request.Header)
	writeResponse(c, Response{Status: status, Header: hdr})
}

// readBody reads at most MaxBody bytes (more is a 413) within
// BodyTimeout (slower is a 408: the link, not the delivery, is at fault,
// so the sender retries).
func (h *hookHandler) readBody(c *gin.Context) ([]byte, Response, bool) {
	limit := h.cfg.MaxBody
	if c.Request.ContentLength > limit {
		return nil, tooLarge(limit), false
	}
	var rc *http.ResponseController
	d := h.bodyTimeout(c.Request)
	if d > 0 {
		// Wall clock on purpose: cfg.Now may be a test's fixed clock.
		// Unsupported writers (recorders) keep the server's ReadTimeout.
		rc = http.NewResponseController(c.Writer)
		_ = rc.SetReadDeadline(time.Now().Add(d))
	}
	body, err := readAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit), c.Request.ContentLength, limit)
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			return nil, tooLarge(limit), false
		case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
			return nil, errorResponse(http.StatusRequestTimeout, "body", "the body was not received in time; retry"), false
		}
		return nil, errorResponse(http.StatusBadRequest, "body", "could not read the body"), false
	}
	if rc != nil {
		// The body is in: processing may outlast the deadline, and a
		// read deadline passing then would cancel the request.
		_ = rc.SetReadDeadline(time.Time{})
	}
	return body, Response{}, true
}

// readAll reads r to its end into one buffer of the announced size (a
// Content-Length within limit), growing only when the body is longer
// than announced; without a usable size it is io.ReadAll.
func readAll(r io.Reader, size, limit int64) ([]byte, error) {
	if size <= 0 || size > limit {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: the read that meets EOF needs no growth
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// bodyTimeout is BodyTimeout, shortened to the server's ReadTimeout: a
// read deadline replaces the one the server set, and must not extend it.
func (h *hookHandler) bodyTimeout(r *http.Request) time.Duration {
	d := h.cfg.BodyTimeout
	if d <= 0 {
		return 0
	}
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 && srv.ReadTimeout < d {
		d = srv.ReadTimeout
	}
	return d
}

func tooLarge(limit int64) Response {
	return errorResponse(http.StatusRequestEntityTooLarge, "body", fmt.Sprintf("body larger than %d bytes", limit))
}

func isTrue(s string) bool {
	switch s {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// writeResponse writes a Response as JSON; its headers replace those of
// the same name set before (X-Request-Id).
func writeResponse(c *gin.Context, r Response) {
	h := c.Writer.Header()
	for k, vs := range r.Header {
		// The values as they are (not copied one by one); clipped, so an
		// Add on the writer's header never appends into the Response's.
		h[textproto.CanonicalMIMEHeaderKey(k)] = vs[:len(vs):len(vs)]
	}
	if r.Body == nil {
		c.Status(r.Status)
		return
	}
	// The Service's answers are already JSON: write them as they are
	// rather than have c.JSON re-encode (validate and compact) them.
	if raw, ok := r.Body.(json.RawMessage); ok {
		writeRaw(c, r.Status, raw)
		return
	}
	c.JSON(r.Status, r.Body)
}

// writeRaw answers status with the JSON raw as c.Data(status,
// jsonContentType, raw) does (a Content-Type already set stays, the
// Content-Length is set, no body where the status allows none), without
// its two allocations: the render.Data boxed for c.Render and the
// Content-Type value slice, which here is shared.
func writeRaw(c *gin.Context, status int, raw []byte) {
	c.Status(status)
	h := c.Writer.Header()
	if len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentTypeValue
	}
	if !bodyAllowedForStatus(status) {
		c.Writer.WriteHeaderNow()
		return
	}
	if len(raw) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(raw)))
	}
	if _, err := c.Writer.Write(raw); err != nil {
		_ = c.Error(err)
		c.Abort()
	}
}

// bodyAllowedForStatus is gin's: no body for 1xx, 204 and 304 (by
// number: none of them is an answer of ours, which the README's answer
// table lists by their http.Status names).
func bodyAllowedForStatus(status int) bool {
	return !(status >= 100 && status < 200 || status == 204 || status == 304)
}

// jsonContentType is what c.JSON sets.
const jsonContentType = "application/json; charset=utf-8"

// jsonContentTypeValue is the shared Content-Type value of writeRaw:
// neither net/http nor gin modifies a header's values in place (a Set
// replaces the slice, an Add appends beyond its capacity of 1), and it
// never changes.
var jsonContentTypeValue = []string{jsonContentType}

// ready answers /readyz.
func (h *hookHandler) ready(c *gin.Context) {
	if h.cfg.Service.Rules() == nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "error": "no rules loaded"})
		return
	}
	if reason := h.cfg.Service.NotReady(); reason != "" {
		c.JSON(http.StatusServiceUnavailable, h.withDetail(gin.H{"status": "not ready", "error": reason}))
		return
	}
	if h.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
		defer cancel()
		if err := h.cfg.Ready(ctx); err != nil {
			c.JSON(http.StatusServiceUnavailable, h.withDetail(gin.H{"status": "not ready", "error": err.Error()}))
			return
		}
	}
	c.JSON(http.StatusOK, h.withDetail(gin.H{"status": "ready", "sources": len(h.cfg.Service.Rules().Sources())}))
}

// withDetail adds ReadyDetail's answer under "rules".
func (h *hookHandler) withDetail(body gin.H) gin.H {
	if h.cfg.ReadyDetail != nil {
		if d := h.cfg.ReadyDetail(); d != nil {
			body["rules"] = d
		}
	}
	return body
}
