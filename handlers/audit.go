package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// Recorder keeps the decision audit of every delivery processed (sync or
// queued); *history.Store implements it. A failing Recorder never fails a
// delivery: the failure is logged and counted
// (leadhook_history_write_failures_total).
type Recorder interface {
	Record(ctx context.Context, rec *history.Record) error
}

// DefaultHistoryTimeout bounds one history write.
const DefaultHistoryTimeout = 2 * time.Second

// Delivery says how a delivery came to be processed, for its history
// record. Handle sets it for sync deliveries; the queue's workers set
// Mode queued, the attempt and the next attempt before processing.
type Delivery struct {
	Mode string // history.ModeSync (default) or history.ModeQueued
	// Attempt is which attempt this is (0: count up in the store).
	Attempt int
	// NextAttemptAt is when a queued delivery that fails now runs again.
	NextAttemptAt *time.Time
	// Request is the delivery as received (body kept for replay when
	// queued or dead-lettered; headers kept without credentials).
	Request *webhook.Request
	// Outcome, when set, replaces the events' outcome in the record (the
	// queue records "dead" for a delivery it gives up on).
	Outcome string
	// RecordID, when set, is the history record's id (a queued delivery's
	// attempts update the record its intake wrote, even without an id).
	RecordID string
}

type deliveryKey struct{}

// WithDelivery returns a context carrying d for the history record of the
// delivery processed under it.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// withRequest notes req as the delivery's request (a sync delivery unless
// the caller said otherwise with WithDelivery).
func withRequest(ctx context.Context, req *webhook.Request) context.Context {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	if !ok {
		d.Mode = history.ModeSync
	}
	if d.Request == nil {
		d.Request = req
	}
	return WithDelivery(ctx, d)
}

func deliveryOf(ctx context.Context) Delivery {
	d, _ := ctx.Value(deliveryKey{}).(Delivery)
	return d
}

// auditMetrics are the history and shadow collectors, registered on the
// service's Metrics registry.
type auditMetrics struct {
	writeFailures prometheus.Counter
	shadowEvents  prometheus.Counter
	shadowDiffs   *prometheus.CounterVec
}

func newAuditMetrics(m *Metrics) *auditMetrics {
	if m == nil {
		return nil
	}
	reg := func(c prometheus.Collector) prometheus.Collector {
		if err := m.Registry.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return are.ExistingCollector
			}
			panic(err) // a programming error: a clashing name
		}
		return c
	}
	am := &auditMetrics{
		writeFailures: reg(prometheus.NewCounter(prometheus.CounterOpts{Name: "leadhook_history_write_failures_total",
			Help: "Delivery history records that could not be written (the delivery itself was not affected)."})).(prometheus.Counter),
		shadowEvents: reg(prometheus.NewCounter(prometheus.CounterOpts{Name: "leadhook_shadow_events_total",
			Help: "Events also evaluated by the shadow rules file."})).(prometheus.Counter),
		shadowDiffs: reg(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadhook_shadow_differences_total",
			Help: "Events the shadow rules file decided otherwise for, by what differs (matched, label, owner, planned)."},
			[]string{"difference"})).(*prometheus.CounterVec),
	}
	for _, d := range shadowDifferences {
		am.shadowDiffs.WithLabelValues(d)
	}
	return am
}

// shadowDifferences are the difference label values, in order.
var shadowDifferences = []string{"matched", "label", "owner", "planned"}

// audit collects one delivery's record while it is processed.
type audit struct {
	mu      sync.Mutex
	rec     *history.Record
	pending []history.MadeCall // attempts of the event being processed
}

type auditKey struct{}

// startAudit begins the record of a delivery (nil on dry runs, or with
// neither history nor shadow rules configured).
func (s *Service) startAudit(ctx context.Context, set *rules.Set, src *source, id string, dryRun bool) (context.Context, *audit) {
	if dryRun || (s.history == nil && s.shadow.Load() == nil) {
		return ctx, nil
	}
	a := &audit{rec: newRecord(ctx, set, src, id, deliveryOf(ctx))}
	ctx = context.WithValue(ctx, auditKey{}, a)
	ctx = deskera.WithAttemptObserver(ctx, a.observe)
	return ctx, a
}

// newRecord is the start of a delivery's record: what it is, before any
// event ran.
func newRecord(ctx context.Context, set *rules.Set, src *source, id string, d Delivery) *history.Record {
	rec := &history.Record{ID: d.RecordID, Source: src.Name, DeliveryID: id, Mode: d.Mode, RulesVersion: set.Digest(),
		Attempts: d.Attempt, NextAttemptAt: d.NextAttemptAt, Events: []history.Event{}}
	if rec.Mode == "" {
		rec.Mode = history.ModeSync
	}
	if rec.ID == "" {
		rec.ID = recordID(src.Name, id)
	}
	if r := d.Request; r != nil {
		rec.ReceivedAt = r.ReceivedAt
		rec.Body = r.Body
		// The store keeps headers and query only with a kept body: a
		// sync delivery's would be dropped, so they are not collected.
		if history.KeepsBody(rec.Mode, d.Outcome) {
			rec.Header, rec.Query = keptHeaders(r.Header, src.Source), flatQuery(r.Query)
		}
	}
	rec.RequestID = obs.RequestID(ctx) // the id every log line and the answer carry
	return rec
}

// recordID is the record id of a delivery (random without a delivery id:
// nothing to merge with).
func recordID(source, id string) string {
	if id == "" {
		id = eventID("", "", 0, 1)
	}
	return history.ID(source, id)
}

func auditOf(ctx context.Context) *audit {
	a, _ := ctx.Value(auditKey{}).(*audit)
	return a
}

func (a *audit) observe(at deskera.Attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = append(a.pending, history.MadeCall{Op: at.Op, Method: at.Method, Path: at.Path, Status: at.Status,
		DurationMS: float64(at.Duration.Microseconds()) / 1000, Attempt: at.N})
}

// event adds one processed event, and evaluates the shadow rules on it.
func (s *Service) auditEvent(ctx context.Context, ev *rules.Event, out *engine.Outcome, r *EventResult) {
	a := auditOf(ctx)
	if a == nil {
		return
	}
	e := history.Event{EventID: r.EventID, Kind: ev.Kind, Email: MaskEmail(ev.Email), Outcome: r.Outcome,
		Error: MaskEmails(r.Error), Score: r.Score, Matched: slices.Clone(r.Matched)}
	if len(r.Errored) > 0 {
		e.Errored = make([]history.RuleError, 0, len(r.Errored))
	}
	for _, x := range r.Errored {
		e.Errored = append(e.Errored, history.RuleError{Rule: x.Rule, Error: MaskEmails(x.Error)})
	}
	if len(r.Actions) > 0 {
		e.Actions = make([]history.Action, 0, len(r.Actions))
	}
	for _, x := range r.Actions {
		e.Actions = append(e.Actions, history.Action{Rule: x.Rule, Type: x.Type, ContactID: x.ContactID, Outcome: x.Outcome, Error: MaskEmails(x.Error)})
	}
	if out != nil {
		if p := out.Plan; p != nil {
			e.Scores, e.ScoreLabel, e.Label, e.Owner = p.Scores, p.ScoreLabel, planLabel(p), planOwner(p)
		}
		if len(out.Calls) > 0 {
			e.Planned = make([]history.PlannedCall, 0, len(out.Calls))
		}
		for _, c := range out.Calls {
			e.Planned = append(e.Planned, history.PlannedCall{Op: c.Op, Method: c.Method, Path: c.Path, Body: maskedBody(c.Body)})
		}
		if sh := s.shadow.Load(); sh != nil {
			e.Shadow = s.evaluateShadow(sh, ev, out)
		}
	}
	a.mu.Lock()
	e.Made, a.pending = a.pending, nil
	a.rec.Events = append(a.rec.Events, e)
	if e.Shadow != nil && len(e.Shadow.Differences) > 0 {
		a.rec.ShadowDiffers = true
	}
	a.mu.Unlock()
}

// finishAudit writes the record. A failed write is logged and counted;
// the delivery's answer is not affected.
func (s *Service) finishAudit(ctx context.Context, a *audit, resp Response) {
	if a == nil || s.history == nil {
		return
	}
	a.mu.Lock()
	rec := a.rec
	a.mu.Unlock()
	rec.Status = resp.Status
	rec.Outcome = deliveryOutcome(rec.Events)
	if o := deliveryOf(ctx).Outcome; o != "" {
		rec.Outcome = o
	}
	for _, e := range rec.Events {
		for _, x := range e.Actions {
			if x.ContactID != 0 && !slices.Contains(rec.ContactIDs, x.ContactID) {
				rec.ContactIDs = append(rec.ContactIDs, x.ContactID)
			}
		}
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.historyTimeout)
	defer cancel()
	if err := s.history.Record(wctx, rec); err != nil {
		if s.auditMetrics != nil {
			s.auditMetrics.writeFailures.Inc()
		}
		s.log.Error("delivery history not written; the delivery itself is not affected",
			"id", rec.DeliveryID, "source", rec.Source, "err", MaskEmails(err.Error()))
	}
}

// deliveryOutcome is the worst event outcome: retry, failed, ok.
func deliveryOutcome(evs []history.Event) string {
	out := history.OutcomeOK
	for _, e := range evs {
		switch e.Outcome {
		case OutcomeRetry:
			return history.OutcomeRetry
		case OutcomeRejected:
			out = history.OutcomeFailed
		}
	}
	return out
}

// planOwner is the owner the plan's first assign_owner picked.
func planOwner(p *rules.Plan) int64 {
	for _, a := range p.Actions {
		if a.Type == rules.ActionAssignOwner {
			return a.OwnerID
		}
	}
	return 0
}

// droppedHeaders are never kept with a body: credentials and cookies.
var droppedHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Access-Token"}

// keptHeaders are the headers kept with a body for replay (parsers read
// Content-Type and event-type headers), without credentials: the source's
// own auth header, and the usual credential headers. Signatures are
// kept: they prove nothing on replay (a replay is not verified again) and
// are no secret.
func keptHeaders(h http.Header, src rules.Source) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if len(vs) == 0 || slices.Contains(droppedHeaders, ck) || (src.Auth.Header != "" && ck == http.CanonicalHeaderKey(src.Auth.Header) && src.Auth.Type == "token") {
			continue
		}
		out[ck] = vs[0]
	}
	return out
}

func flatQuery(q map[string][]string) map[string]string {
	if len(q) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, vs := range q {
		if len(vs) > 0 && k != "token" && k != "access_token" && k != "key" {
			out[k] = vs[0]
		}
	}
	return out
}

// shadowPlanned summarises a plan's actions for comparison: what the
// engine would do (the calls follow from these and the contact found).
func shadowPlanned(p *rules.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		s := a.Type
		switch a.Type {
		case rules.ActionAssignLabel:
			s += " " + strconv.Quote(a.Label)
		case rules.ActionAssignOwner:
			s += " " + strconv.FormatInt(a.OwnerID, 10)
		case rules.ActionSetVisibility:
			s += " " + a.Visibility
		}
		out = append(out, s)
	}
	return out
}
