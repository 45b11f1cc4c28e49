package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
)

// Core is the transport-neutral service both the Gin server and this
// package call; *handlers.Service implements it.
type Core interface {
	Handle(ctx context.Context, source string, req *webhook.Request, dryRun bool) handlers.Response
}

// BatchCore is a Core that can answer several deliveries at once,
// processing their events together; *handlers.Service implements it. The
// records of a standard SQS queue's batch go through it.
type BatchCore interface {
	HandleBatch(ctx context.Context, ds []handlers.BatchEntry) []handlers.Response
}

// SweepFunc runs the relabel sweep over every contact (the rules engine's
// Sweep with the current rules); its result is returned to the invoker.
type SweepFunc func(ctx context.Context, dryRun bool) (any, error)

// ReassignFunc hands the contacts of one owner to a pool or owner (the
// rules engine's Reassign with the current rules); its result is returned
// to the invoker.
type ReassignFunc func(ctx context.Context, r ReassignRequest) (any, error)

// ReassignRequest is the detail.reassign of a scheduled event.
type ReassignRequest struct {
	FromOwner int64  `json:"from_owner"`
	Pool      string `json:"pool,omitempty"`
	ToOwner   int64  `json:"to_owner,omitempty"`
	When      string `json:"when,omitempty"`
	DryRun    bool   `json:"dry_run,omitempty"`
}

// DefaultSESSource is the source SES receipt events are posted to when
// Config.SESSource is empty.
const DefaultSESSource = "ses"

// Config configures a Handler.
type Config struct {
	// Core handles every delivery (required).
	Core Core
	// Sweep runs for EventBridge scheduled events; without it they fail.
	Sweep SweepFunc
	// Reassign runs for scheduled events whose detail has "reassign";
	// without it they fail.
	Reassign ReassignFunc
	// SQSSource is the source for SQS records that carry no `source`
	// message attribute (SNS messages may carry one too); "" = none, such
	// records fail.
	SQSSource string
	// SESSource is the source (format ses) SES receipt events go to.
	SESSource string
	// SourceFormat returns a source's format; records holding an SNS
	// envelope keep it for sources of format ses and are unwrapped for
	// others. Nil unwraps always.
	SourceFormat func(source string) (format string, ok bool)
	// MaxBody bounds HTTP bodies (after base64 decoding) as the server
	// does: larger ones get 413. 0 means handlers.DefaultMaxBody.
	MaxBody int64
	// Logger receives one line per failed delivery; nil discards.
	Logger *slog.Logger
	// Now is the clock for events without a timestamp; nil = time.Now.
	Now func() time.Time
}

// KeyAWSRequestID is the log attribute naming the Lambda invocation.
const KeyAWSRequestID = "aws_request_id"

// Handler is the Lambda entry point; Invoke has the signature
// lambda.Start expects.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Core == nil {
		return nil, errors.New("lambda handler: nil core")
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("lambda handler: negative max body %d", cfg.MaxBody)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = handlers.DefaultMaxBody
	}
	if cfg.SESSource == "" {
		cfg.SESSource = DefaultSESSource
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, log: obs.Logger(log)}, nil
}

// Invoke handles one Lambda invocation of any supported trigger. Client
// errors of HTTP triggers are HTTP responses, not invocation errors; an
// unrecognised payload is an invocation error.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	trig, err := Detect(payload)
	if err != nil {
		return nil, err
	}
	log := h.log.With("trigger", string(trig))
	// Every line about this invocation's deliveries (the service's event
	// lines included) names the invocation.
	ctx = obs.NewScope(ctx)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		obs.Set(ctx, KeyAWSRequestID, lc.AwsRequestID)
	}
	switch trig {
	case TriggerAPIGatewayV1:
		return h.apiGatewayV1(ctx, payload)
	case TriggerAPIGatewayV2:
		return h.apiGatewayV2(ctx, payload)
	case TriggerFunctionURL:
		return h.functionURL(ctx, payload)
	case TriggerSQS:
		return h.sqs(ctx, log, payload)
	case TriggerSNS:
		return h.sns(ctx, log, payload)
	case TriggerSES:
		return h.ses(ctx, log, payload)
	case TriggerSchedule:
		return h.schedule(ctx, log, payload)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnrecognised, trig)
}

func decode[T any](payload []byte, what string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(payload, v); err != nil {
		return nil, fmt.Errorf("decode %s event: %w", what, err)
	}
	return v, nil
}

// sourceChecker is implemented by cores that can tell whether a source
// exists (*handlers.Service): an unknown source is then a 404 before the
// body size is checked, in the same order as the Gin route.
type sourceChecker interface {
	HasSource(name string) bool
}

// browserCore is implemented by cores that have browser sources
// (*handlers.Service): their preflights and posts are answered as the
// Gin router answers them (pages, redirects, CORS).
type browserCore interface {
	BrowserPreflight(name string, h http.Header) (handlers.Response, bool)
	HandleBrowser(ctx context.Context, name string, req *webhook.Request) (handlers.Response, bool)
}

// handleHTTP answers an HTTP trigger the way the Gin router answers the
// same request: POST /hooks/{source} goes to the core (with ?dry_run=1 as
// a dry run the core authorises), GET /healthz is answered here, any other
// path is 404 and any other method 405. Every answer carries the request
// id (X-Request-Id) the router would give it.
func (h *Handler) handleHTTP(ctx context.Context, hr *httpRequest, err error) handlers.Response {
	header := http.Header{}
	if err == nil {
		header = hr.req.Header
	}
	ctx, id := obs.BeginRequest(ctx, header)
	resp := h.routeHTTP(ctx, hr, err)
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set(obs.RequestIDHeader, id)
	return resp
}

func (h *Handler) routeHTTP(ctx context.Context, hr *httpRequest, err error) handlers.Response {
	if err != nil {
		return errorResponse(err)
	}
	req := hr.req
	if hr.source == "" {
		if req.Method == http.MethodGet && strings.TrimSuffix(req.Path, "/") == "/healthz" {
			return jsonAnswer(http.StatusOK, map[string]string{"status": "ok"})
		}
		return jsonAnswer(http.StatusNotFound, handlers.ErrorBody{Error: "not found"})
	}
	bc, browserOK := h.cfg.Core.(browserCore)
	if req.Method == http.MethodOptions && browserOK {
		if resp, ok := bc.BrowserPreflight(hr.source, req.Header); ok {
			return resp
		}
	}
	if req.Method != http.MethodPost {
		return jsonAnswer(http.StatusMethodNotAllowed, handlers.ErrorBody{Error: "method not allowed"})
	}
	if sc, ok := h.cfg.Core.(sourceChecker); ok && !sc.HasSource(hr.source) {
		return jsonAnswer(http.StatusNotFound, handlers.ErrorBody{Field: "source", Error: fmt.Sprintf("unknown source %q", hr.source)})
	}
	if int64(len(req.Body)) > h.cfg.MaxBody {
		return jsonAnswer(http.StatusRequestEntityTooLarge, handlers.ErrorBody{Field: "body", Error: fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBody)})
	}
	if browserOK {
		if resp, ok := bc.HandleBrowser(ctx, hr.source, req); ok {
			return resp
		}
	}
	return h.cfg.Core.Handle(ctx, hr.source, req, isTrue(req.Query.Get("dry_run")))
}

// isTrue reads a boolean query flag as the Gin route does.
func isTrue(s string) bool {
	switch s {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func (h *Handler) apiGatewayV1(ctx context.Context, payload []byte) (any, error) {
	ev, err := decode[events.APIGatewayProxyRequest](payload, "api gateway v1")
	if err != nil {
		return nil, err
	}
	hr, err := fromV1(ev, h.cfg.Now())
	return toV1Response(h.handleHTTP(ctx, hr, err))
}

func (h *Handler) apiGatewayV2(ctx context.Context, payload []byte) (any, error) {
	ev, err := decode[events.APIGatewayV2HTTPRequest](payload, "http api v2")
	if err != nil {
		return nil, err
	}
	hr, err := fromV2(v2FromAPIGateway(ev), h.cfg.Now())
	return toV2Response(h.handleHTTP(ctx, hr, err))
}

func (h *Handler) functionURL(ctx context.Context, payload []byte) (any, error) {
	ev, err := decode[events.LambdaFunctionURLRequest](payload, "function url")
	if err != nil {
		return nil, err
	}
	hr, err := fromV2(v2FromFunctionURL(ev), h.cfg.Now())
	return toURLResponse(h.handleHTTP(ctx, hr, err))
}
