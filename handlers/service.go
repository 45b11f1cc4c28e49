package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/handlers/browser"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// Processor runs the rules for one event; *engine.Engine implements it.
type Processor interface {
	Process(ctx context.Context, set *rules.Set, ev *rules.Event, dryRun bool) (*engine.Outcome, error)
}

// BatchProcessor is a Processor that can run the events of one delivery
// together (one contact fetch, grouped bulk PATCHes); *engine.Engine
// implements it. A delivery of several events uses it when the engine has it.
type BatchProcessor interface {
	ProcessBatch(ctx context.Context, set *rules.Set, evs []*rules.Event, dryRun bool) ([]*engine.Outcome, []error)
}

// DefaultDedupeTTL is how long answers are kept for replays.
const DefaultDedupeTTL = 24 * time.Hour

// Config configures a Service.
type Config struct {
	// Rules is the loaded rules file (sources, rules). Required.
	Rules *rules.Set
	// Engine executes the rules. Required.
	Engine Processor
	// Store keeps answers for replays; defaults to an in-memory store.
	Store idempotency.Store
	// DedupeTTL is how long a delivery id is remembered (DefaultDedupeTTL).
	DedupeTTL time.Duration
	// AdminToken authorises ?dry_run=1 (Authorization: Bearer). Empty
	// disables dry runs.
	AdminToken string
	// Metrics, when set, records events, rules, actions and dedupe hits.
	Metrics *Metrics
	// Logger receives one line per event. Defaults to discarding.
	Logger *slog.Logger
	// Webhook configures parsers and verifiers (clock, multipart memory).
	Webhook webhook.Options
	// NotReadyFor is how long a failure that is ours to fix (credentials,
	// labels, configuration) keeps /readyz not ready unless a later event
	// succeeds or fails again (DefaultNotReadyFor). The clock is
	// Webhook.Now.
	NotReadyFor time.Duration
	// Queue stores the deliveries of `delivery: queued` sources; nil
	// processes them as sync ones.
	Queue Enqueuer
	// Secrets are further credentials (Deskera token, Redis password)
	// redacted from panic messages; the sources' own are added.
	Secrets []string
	// TracerProvider traces each delivery (a span with verify, parse,
	// evaluate and the Deskera calls under it); nil traces nothing.
	TracerProvider trace.TracerProvider
	// History, when set, keeps the decision audit of every delivery
	// (*history.Store); HistoryTimeout bounds a write (DefaultHistoryTimeout).
	History        Recorder
	HistoryTimeout time.Duration
	// Shadow, when set, is a candidate rules file every event is also
	// evaluated by, offline (see SetShadow).
	Shadow *rules.Set
	// CaptchaClient calls captcha providers' siteverify for browser
	// sources (default: a plain client; each call has its own timeout).
	CaptchaClient *http.Client
}

// Both idempotency stores serve as the verifiers' seen-once store.
var (
	_ webhook.SeenOnce = (*idempotency.Memory)(nil)
	_ webhook.SeenOnce = (*idempotency.Redis)(nil)
)

// Service is the transport-neutral core: Handle authenticates, parses,
// dedupes and processes one delivery and says what to answer.
type Service struct {
	engine     Processor
	dedupe     *idempotency.Deduper
	adminToken string
	metrics    *Metrics
	log        *slog.Logger
	tracer     trace.Tracer
	wopts      webhook.Options
	secrets    []string // Config.Secrets and the admin token (see Redact)
	state      atomic.Pointer[state]
	health     health
	// history and shadow: see audit.go and shadow.go.
	history        Recorder
	historyTimeout time.Duration
	shadow         atomic.Pointer[rules.Set]
	auditMetrics   *auditMetrics
	captcha        *http.Client
	queue          Enqueuer
}

// state is what a rules file compiles to; swapped whole on reload.
type state struct {
	set     *rules.Set
	sources map[string]*source
	secrets []string // the sources' credentials (see Redact)
}

type source struct {
	rules.Source
	parser   webhook.Parser
	verifier webhook.Verifier
	guard    *browser.Guard // nil unless the source has a browser block
}

// NewService validates cfg and builds every source's parser and verifier.
func NewService(cfg Config) (*Service, error) {
	if cfg.Engine == nil {
		return nil, errors.New("handlers: nil engine")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = obs.Logger(cfg.Logger) // every line carries the delivery's ids
	if cfg.Store == nil {
		cfg.Store = idempotency.NewMemory(0)
	}
	if cfg.DedupeTTL == 0 {
		cfg.DedupeTTL = DefaultDedupeTTL
	}
	if cfg.Webhook.Seen == nil {
		// One-time values (Mailgun tokens) live in the idempotency store,
		// shared by replicas when it is Redis, and survive a rules reload.
		if so, ok := cfg.Store.(webhook.SeenOnce); ok {
			cfg.Webhook.Seen = so
		}
	}
	d, err := idempotency.New(cfg.Store, cfg.DedupeTTL, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	if cfg.NotReadyFor <= 0 {
		cfg.NotReadyFor = DefaultNotReadyFor
	}
	s := &Service{
		engine: cfg.Engine, dedupe: d, adminToken: cfg.AdminToken,
		metrics: cfg.Metrics, log: cfg.Logger, wopts: cfg.Webhook, tracer: obs.Tracer(cfg.TracerProvider),
		secrets: append([]string{cfg.AdminToken}, cfg.Secrets...),
		health:  health{now: cfg.Webhook.Now, hold: cfg.NotReadyFor},
		captcha: cfg.CaptchaClient,
		queue:   cfg.Queue,
	}
	if s.health.now == nil {
		s.health.now = time.Now
	}
	s.history, s.historyTimeout, s.auditMetrics = cfg.History, cmp.Or(cfg.HistoryTimeout, DefaultHistoryTimeout), newAuditMetrics(cfg.Metrics)
	s.shadow.Store(cfg.Shadow)
	if err := s.SetRules(cfg.Rules); err != nil {
		return nil, err
	}
	return s, nil
}

// SetRules compiles set's sources and swaps them in; on error the
// previous rules stay in force.
func (s *Service) SetRules(set *rules.Set) error {
	if set == nil {
		return errors.New("handlers: nil rules set")
	}
	st := &state{set: set, sources: map[string]*source{}, secrets: sourceSecrets(set)}
	for _, src := range set.Sources() {
		p, err := webhook.NewParser(src, s.wopts)
		if err != nil {
			return err
		}
		v, err := webhook.NewVerifier(src, s.wopts)
		if err != nil {
			return err
		}
		g, err := s.browserGuard(src)
		if err != nil {
			return err
		}
		st.sources[src.Name] = &source{Source: src, parser: p, verifier: v, guard: g}
	}
	s.state.Store(st)
	if s.metrics != nil {
		s.metrics.knowRules(set)
	}
	return nil
}

// Rules returns the rules set in force.
func (s *Service) Rules() *rules.Set { return s.state.Load().set }

// HasSource reports whether POST /hooks/{name} exists.
func (s *Service) HasSource(name string) bool {
	_, ok := s.state.Load().sources[name]
	return ok
}

// SourceFormat returns the format of source name (ok false when there is
// no such source).
func (s *Service) SourceFormat(name string) (format string, ok bool) {
	src, ok := s.state.Load().sources[name]
	if !ok {
		return "", false
	}
	return src.Format, true
}

// Queued lists the sources whose deliveries are queued (none without a
// Config.Queue).
func (s *Service) Queued() []string {
	var out []string
	for name, src := range s.state.Load().sources {
		if src.Delivery == rules.DeliveryQueued && s.queue != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Unauthenticated lists the sources declared with `auth: none`.
func (s *Service) Unauthenticated() []string {
	var out []string
	for name, src := range s.state.Load().sources {
		if src.Auth.Type == "none" && len(src.AllowIPs) == 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Handle answers one delivery to source. dryRun (admin only) evaluates
// and reports the plan without calling Deskera or touching the
// idempotency store.
func (s *Service) Handle(ctx context.Context, name string, req *webhook.Request, dryRun bool) (resp Response) {
	ctx, span, reqID := s.beginDelivery(ctx, name, req)
	defer endDelivery(ctx, span, reqID, &resp)
	defer s.recoverPanic(ctx, name, &resp)
	st := s.state.Load()
	src, ok := st.sources[name]
	if !ok {
		return errorResponse(http.StatusNotFound, "source", fmt.Sprintf("unknown source %q", name))
	}
	if s.metrics != nil { // known sources only: the label stays bounded
		defer func(start time.Time) { s.metrics.ObserveDelivery(name, time.Since(start)) }(time.Now())
	}
	d, resp, done := s.admit(ctx, src, req, dryRun)
	if done {
		return resp
	}
	if !dryRun { // the delivery's request is for its history record and its queue entry: a dry run has neither
		ctx = withRequest(ctx, req)
	}
	if !dryRun && src.Delivery == rules.DeliveryQueued && s.queue != nil && len(d.events) > 0 {
		return s.enqueue(ctx, st.set, src, req, d) // dry runs stay sync
	}
	return s.act(ctx, st.set, src, d, dryRun)
}

// act processes an admitted delivery now: deduplicated by its delivery
// id, unless it has none or is a dry run.
func (s *Service) act(ctx context.Context, set *rules.Set, src *source, a *admitted, dryRun bool) Response {
	if dryRun || a.id == "" {
		return s.process(ctx, set, src, a.events, a.id, dryRun)
	}
	return s.dedupeAndProcess(ctx, set, src, a.events, a.id)
}

// admitted is a delivery that passed authentication and parsing.
type admitted struct {
	src    *source
	events []rules.Event
	id     string // the delivery id ("" = none: not deduplicated)
}

// admit authenticates and parses a delivery; done with the answer when
// there is nothing to process (refused, rejected, a parser's reply, or a
// browser source's screening).
func (s *Service) admit(ctx context.Context, src *source, req *webhook.Request, dryRun bool) (*admitted, Response, bool) {
	name := src.Name
	if resp, ok := s.authenticate(ctx, src, req, dryRun); !ok {
		return nil, resp, true
	}
	var parsed *webhook.Parsed
	err := s.step(ctx, "parse", func() (err error) {
		if parsed, err = src.parser.Parse(ctx, req); err == nil && parsed.Confirm != nil {
			err = webhook.ConfirmSubscription(ctx, s.wopts, parsed.Confirm) // SNS: under the request's context
		}
		return err
	})
	if err != nil {
		s.countEvent(name, "rejected")
		resp := fromError(err)
		s.log.InfoContext(ctx, "event rejected", "source", name, "status", resp.Status, "field", errorField(err))
		return nil, resp, true
	}
	if parsed.Reply != nil {
		s.countEvent(name, "reply")
		return nil, Response{Status: parsed.Reply.Status, Header: parsed.Reply.Header, Body: parsed.Reply.Body}, true
	}
	if resp, stop := s.screenBrowser(ctx, src, req, parsed); stop {
		return nil, resp, true
	}
	id := deliveryID(req, parsed, src.Source)
	setDeliveryID(ctx, id)
	nameGitHubEvents(req, parsed, src.Source)
	return &admitted{src: src, events: parsed.Events, id: id}, Response{}, false
}

// authenticate runs the source's verifier, or for a dry run checks the
// admin token instead.
func (s *Service) authenticate(ctx context.Context, src *source, req *webhook.Request, dryRun bool) (Response, bool) {
	if dryRun {
		if s.adminToken == "" {
			return errorResponse(http.StatusForbidden, "dry_run", "dry runs are disabled: LEADHOOK_ADMIN_TOKEN is not set"), false
		}
		if !webhook.CheckBearer(req.Header, s.adminToken) {
			s.authFailed(ctx, src.Name, req)
			return errorResponse(http.StatusUnauthorized, "", "authentication failed"), false
		}
		return Response{}, true
	}
	if err := s.step(ctx, "verify", func() error { return src.verifier.Verify(ctx, req) }); err != nil {
		s.authFailed(ctx, src.Name, req)
		return fromError(err), false
	}
	return Response{}, true
}

func (s *Service) authFailed(ctx context.Context, name string, req *webhook.Request) {
	if s.metrics != nil {
		s.metrics.authFailures.WithLabelValues(name).Inc()
	}
	s.countEvent(name, "unauthorized")
	s.log.WarnContext(ctx, "authentication failed", "source", name, "remote_ip", req.RemoteIP)
}

// fromError maps a parser or verifier error to an answer; anything that
// is not a *webhook.Error is a 400 with its message.
func fromError(err error) Response {
	var we *webhook.Error
	if errors.As(err, &we) {
		return fromWebhookError(we)
	}
	return errorResponse(http.StatusBadRequest, "", err.Error())
}

// errorField names the field of a *webhook.Error ("" otherwise); the
// message itself may quote user input, so it is not logged.
func errorField(err error) string {
	var we *webhook.Error
	if errors.As(err, &we) {
		return we.Field
	}
	return ""
}

func (s *Service) countEvent(source, outcome string) {
	if s.metrics != nil {
		s.metrics.events.WithLabelValues(source, outcome).Inc()
	}
}
