package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	// Core handles the deliveries of SQS, SNS and SES events (required).
	Core Core
	// HTTP serves the HTTP triggers (REST v1, HTTP API v2, Function URL),
	// each turned into an *http.Request: the router the server runs
	// (handlers.NewRouter). Nil: HTTP events are an invocation error.
	HTTP http.Handler
	// Sweep runs for EventBridge scheduled events; without it they fail.
	Sweep SweepFunc
	// Reassign runs for scheduled events whose detail has "reassign";
	// without it they fail.
	Reassign ReassignFunc
	// Redeliver, when set (the SQSQueue), backs off queued deliveries
	// that failed for now: SQS delivers them again after 1 min, 6 min, 36
	// min, 3.6 h (or Deskera's Retry-After) rather than after the queue's
	// visibility timeout. Nil: the visibility timeout.
	Redeliver Redeliverer
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
	case TriggerAPIGatewayV1, TriggerAPIGatewayV2, TriggerFunctionURL:
		return h.serveHTTP(ctx, trig, payload)
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

// serveHTTP answers an HTTP trigger through the one http.Handler the
// server runs (the Gin router): routing, 404/405/413, dry runs, browser
// sources and the encoding of answers exist there only.
func (h *Handler) serveHTTP(ctx context.Context, trig Trigger, payload []byte) (any, error) {
	if h.cfg.HTTP == nil {
		return nil, fmt.Errorf("%s event: no http handler configured", trig)
	}
	var ev httpEvent
	switch trig {
	case TriggerAPIGatewayV1:
		v, err := decode[events.APIGatewayProxyRequest](payload, "api gateway v1")
		if err != nil {
			return nil, err
		}
		ev = fromV1(v)
	case TriggerAPIGatewayV2:
		v, err := decode[events.APIGatewayV2HTTPRequest](payload, "http api v2")
		if err != nil {
			return nil, err
		}
		ev = fromV2(v)
	default:
		v, err := decode[events.LambdaFunctionURLRequest](payload, "function url")
		if err != nil {
			return nil, err
		}
		ev = fromURL(v)
	}
	w := newAnswerBuffer()
	h.cfg.HTTP.ServeHTTP(w, ev.request(ctx))
	return encodeAnswer(w, trig)
}
