package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/internal/digits"
	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/internal/ticks"
	"github.com/leadhook/leadhook/rules"
)

// CRM is the part of the Deskera API the engine uses; *deskera.Client
// satisfies it.
type CRM interface {
	ListContacts(ctx context.Context, opts *deskera.ListContactsOptions) (*deskera.ContactList, error)
	WalkContacts(ctx context.Context, opts *deskera.ListContactsOptions, fn func([]deskera.Contact) error) error
	GetContact(ctx context.Context, id deskera.ID) (*deskera.Contact, error)
	GetContactsByIDs(ctx context.Context, ids []deskera.ID) ([]deskera.Contact, error)
	CreateContact(ctx context.Context, dto *deskera.ContactSaveDto) (*deskera.Contact, error)
	UpdateContact(ctx context.Context, id deskera.ID, dto *deskera.ContactSaveDto) (*deskera.Contact, error)
	DeleteContact(ctx context.Context, id deskera.ID) error
	BulkUpdateContacts(ctx context.Context, b *deskera.BulkUpdateContact) error
	ListLabels(ctx context.Context) ([]deskera.Label, error)
	CreateLabel(ctx context.Context, l *deskera.LabelRequest) (deskera.ID, error)
}

// EngineOption configures NewEngine.
type EngineOption func(*Engine) error

// WithLogger sets the engine's logger (default: discard).
func WithLogger(l *slog.Logger) EngineOption {
	return func(e *Engine) error {
		if l == nil {
			return errors.New("engine: nil logger")
		}
		e.log = obs.Logger(l)
		return nil
	}
}

// WithClock sets the engine's clock (default time.Now): the time of sweep
// events (stored scores decay to it) and of events that do not say when
// they arrived (their score is stored at it).
func WithClock(now func() time.Time) EngineOption {
	return func(e *Engine) error {
		if now == nil {
			return errors.New("engine: nil clock")
		}
		e.now = now
		return nil
	}
}

// WithRecentCreates sets how many recently created contacts the engine
// remembers by key (default 10000), so that a second event for a contact
// the CRM's search does not show yet never creates it twice.
func WithRecentCreates(n int) EngineOption {
	return func(e *Engine) error {
		if n < 0 {
			return fmt.Errorf("engine: recent creates %d is negative", n)
		}
		e.recent = newRecentSet[deskera.ID](n)
		return nil
	}
}

// WithSettleWindow makes the engine wait d after a create whose outcome is
// unknown (its answer was lost: a timeout, a dropped connection, a 5xx)
// before it creates that contact again. Deskera's create takes no
// idempotency key, so a create it applies late would otherwise be
// duplicated by the sender's retry, whose search ran too early to see it.
// Within the window a retry that still finds no contact fails with an
// error matching deskera.ErrOutcomeUnknown (the service answers 503, the
// sender retries later). Default 0: no window. leadhook serve sets it to the
// Deskera client's timeout.
func WithSettleWindow(d time.Duration) EngineOption {
	return func(e *Engine) error {
		if d < 0 {
			return fmt.Errorf("engine: settle window %v is negative", d)
		}
		e.settle = d
		return nil
	}
}

// WithTracerProvider traces the evaluation of each event (an "evaluate"
// span, a child of the caller's; default: no tracing).
func WithTracerProvider(tp trace.TracerProvider) EngineOption {
	return func(e *Engine) error {
		if tp == nil {
			return errors.New("engine: nil tracer provider")
		}
		e.tracer = obs.Tracer(tp)
		return nil
	}
}

// Engine carries plans out on the CRM. It is safe for concurrent use.
type Engine struct {
	crm    CRM
	log    *slog.Logger
	tracer trace.Tracer
	now    func() time.Time
	labels labelCache
	recent *recentSet[deskera.ID]
	// coord holds the per-contact locks and when a create whose outcome is
	// unknown was sent, per contact key; within settle of it the engine does
	// not create again (memory by default, see WithContactCoordinator).
	coord  ContactCoordinator
	settle time.Duration
	// hand lets queued deliveries for one contact reuse the contact the
	// one ahead ended with (see handoffs).
	hand handoffs
}

// NewEngine returns an engine acting on crm.
func NewEngine(crm CRM, opts ...EngineOption) (*Engine, error) {
	if crm == nil {
		return nil, errors.New("engine: nil CRM")
	}
	e := &Engine{crm: crm, log: slog.New(slog.DiscardHandler), tracer: obs.Tracer(nil), now: time.Now, recent: newRecentSet[deskera.ID](10000),
		coord: newMemoryCoordinator()}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Call is one Deskera API call made (or, in a dry run, that would be made).
type Call struct {
	Op     string `json:"op"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   any    `json:"body,omitempty"`
}

// ActionResult is what happened to one action of a plan.
type ActionResult struct {
	Rule      string `json:"rule"`
	Type      string `json:"type"`
	ContactID int64  `json:"contact_id,omitempty"`
	// Outcome: created, updated, unchanged, deleted, exists, skipped,
	// failed, or planned (dry run).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// Action outcomes.
const (
	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
	ActionDeleted   = "deleted"
	ActionExists    = "exists"
	ActionSkipped   = "skipped"
	ActionFailed    = "failed"
	ActionPlanned   = "planned"
)

// Outcome is the result of Process.
type Outcome struct {
	Plan    *rules.Plan    `json:"plan"`
	Results []ActionResult `json:"results"`
	Calls   []Call         `json:"calls"`
	DryRun  bool           `json:"dry_run,omitempty"`
	// Contact is the contact the plan was evaluated with (nil: none was
	// found), for explaining it (Set.Explain) and for evaluating another
	// rules file offline on the same state (shadow rules).
	Contact *rules.Contact `json:"-"`
}

// Prepare resolves the set's declared labels to Deskera ids, creating the
// ones declared with create: true. It returns an error naming the labels
// that are missing and not to be created.
func (e *Engine) Prepare(ctx context.Context, set *rules.Set) error {
	if err := e.labels.refresh(ctx, e.crm, nil); err != nil {
		return fmt.Errorf("engine: prepare labels: %w", err)
	}
	var missing []string
	for _, l := range set.Labels() {
		if _, ok := e.labels.get(l.Name); ok {
			continue
		}
		if !l.Create {
			missing = append(missing, fmt.Sprintf("%q", l.Name))
			continue
		}
		if _, err := e.labels.create(ctx, e.crm, l, nil); err != nil {
			return fmt.Errorf("engine: create label %q: %w", l.Name, err)
		}
		e.log.InfoContext(ctx, "created label", "label", l.Name)
	}
	if len(missing) > 0 {
		return fmt.Errorf("engine: %w in Deskera: %s (declare them with create: true or create them)", rules.ErrLabelNotFound, strings.Join(missing, ", "))
	}
	return nil
}

// Process handles one event: it takes the per-contact lock, looks the
// contact up, evaluates the set with it and carries the plan out. A dry run
// makes the read-only calls (the search, the label list) and none of the
// writes: Calls lists every call, made or planned.
// Errors wrap the deskera errors (see deskera.Temporary); the Outcome is
// returned with them, with the failed actions marked.
func (e *Engine) Process(ctx context.Context, set *rules.Set, ev *rules.Event, dryRun bool) (*Outcome, error) {
	if set == nil || ev == nil {
		return nil, errors.New("engine: process: nil set or event")
	}
	unlock := func() {}
	var hand *handoff
	if key := lockKey(ev, set.MatchOn()); key != "" && !dryRun {
		if _, mem := e.coord.(*memoryCoordinator); mem && ev.ContactID == 0 {
			hand = e.hand.join(key, e.now())
			defer func() { e.hand.leave(key, hand, e.now()) }()
		} else {
			defer e.hand.wrote()
		}
		var err error
		if unlock, err = e.coord.Lock(ctx, key); err != nil {
			return nil, sharedErr("lock contact", err)
		}
	}
	defer unlock()
	out, err := e.processOnce(ctx, set, ev, dryRun, hand)
	if err != nil && !dryRun && deskera.LabelMissing(err) {
		// A label was deleted (or deleted and recreated with a new id) in
		// Deskera: reload the labels once and act again.
		e.log.WarnContext(ctx, "engine: deskera does not know a cached label id; reloading the labels and retrying", "err", err.Error())
		if rerr := e.labels.refresh(ctx, e.crm, nil); rerr != nil {
			return out, fmt.Errorf("engine: reload labels: %w (after: %w)", rerr, err)
		}
		out, err = e.processOnce(ctx, set, ev, dryRun, hand)
	}
	return out, err
}

// bulkUpdate makes a bulk PATCH; a lingering handoff is not trusted after
// it (see handoffs).
func (e *Engine) bulkUpdate(ctx context.Context, b *deskera.BulkUpdateContact) error {
	defer e.hand.wrote()
	return e.crm.BulkUpdateContacts(ctx, b)
}

// processOnce looks the contact up (or takes it from hand, the delivery
// ahead on the same contact's lock) and acts; it hands the contact it
// ended with to the next delivery on the lock (nil hand: none).
func (e *Engine) processOnce(ctx context.Context, set *rules.Set, ev *rules.Event, dryRun bool, hand *handoff) (*Outcome, error) {
	if ev.ReceivedAt.IsZero() {
		// The time the score is stored (and decayed) at: the engine's clock
		// when the event does not say when it arrived.
		cp := *ev
		cp.ReceivedAt = e.now().UTC()
		ev = &cp
	}
	x := newExecution(e, set, ev, dryRun)
	found, handed := (*deskera.Contact)(nil), false
	if hand != nil {
		found, handed = e.hand.take(hand)
	}
	if !handed {
		var err error
		if found, err = x.lookup(ctx); err != nil {
			return x.out, err
		}
	}
	err := x.act(ctx, found)
	if hand != nil {
		if err != nil {
			x.found = nil
		}
		e.hand.publish(hand, x.found)
	}
	return x.out, err
}

// act evaluates the event with the contact found (nil: none) and carries
// the plan out; Process and ProcessBatch share it.
func (x *execution) act(ctx context.Context, found *deskera.Contact) error {
	x.found = found
	x.out.Contact = x.e.toContact(found)
	x.out.Plan = x.e.evaluate(ctx, x.set, x.ev, x.out.Contact)
	if rf := ruleFailure(x.out.Plan); rf != nil && !x.dry {
		// A rule that errored may have been meant to act: acting on the
		// others would answer as if the event was done. Nothing is done;
		// the sender retries once the rules file is fixed.
		return rf
	}
	return x.run(ctx)
}

// evaluate runs the rules over the event and the contact found, in an
// "evaluate" span.
func (e *Engine) evaluate(ctx context.Context, set *rules.Set, ev *rules.Event, c *rules.Contact) *rules.Plan {
	_, span := obs.Start(ctx, e.tracer, "evaluate")
	defer span.End()
	p := set.Evaluate(ev, c)
	if !span.IsRecording() {
		return p // its attributes and status would be dropped
	}
	matched := 0
	for _, r := range p.Rules {
		if r.Matched {
			matched++
		}
	}
	span.SetAttributes(attribute.Int("leadhook.rules.matched", matched), attribute.Int("leadhook.actions", len(p.Actions)),
		attribute.Float64("leadhook.score", p.Score))
	if rf := ruleFailure(p); rf != nil {
		span.SetStatus(codes.Error, "a rule failed")
	}
	return p
}

// ruleFailure names the rules (and scores) whose evaluation errored (nil
// when none): a failed score would silently count 0 and mislabel.
func ruleFailure(p *rules.Plan) *rules.RuleFailure {
	var rf *rules.RuleFailure
	if len(p.Errors) > 0 {
		rf = &rules.RuleFailure{Err: p.Errors[0], Scores: p.Errors}
	}
	for _, r := range p.Rules {
		if r.Error == "" {
			continue
		}
		if rf == nil {
			rf = &rules.RuleFailure{Err: r.Error}
		}
		rf.Rules = append(rf.Rules, r.Name)
	}
	return rf
}

// RefreshLabels reloads the label cache from Deskera (a label renamed,
// deleted or recreated there is picked up).
func (e *Engine) RefreshLabels(ctx context.Context) error {
	if err := e.labels.refresh(ctx, e.crm, nil); err != nil {
		return fmt.Errorf("engine: refresh labels: %w", err)
	}
	return nil
}

// RefreshLabelsOn reloads the label cache on every tick until ctx ends or
// tick is closed (give it a time.Ticker's C; tests send ticks by hand).
// A failed reload is logged and the cache kept.
func (e *Engine) RefreshLabelsOn(ctx context.Context, tick <-chan time.Time) {
	ticks.Run(ctx, tick, func(ctx context.Context) {
		if err := e.RefreshLabels(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "engine: periodic label refresh failed; keeping the cached labels", "err", err.Error())
		}
	})
}

// lockKey is the key Process serialises on: the value upserts match on.
func lockKey(ev *rules.Event, matchOn string) string {
	if matchOn == rules.MatchPhone {
		if d := digits.Of(ev.Phone); d != "" {
			return d
		}
	}
	return rules.ContactKey(ev, nil)
}

// toContact converts a Deskera contact for the rules (nil for nil).
func (e *Engine) toContact(d *deskera.Contact) *rules.Contact {
	if d == nil {
		return nil
	}
	c := &rules.Contact{ID: int64(d.ID), Name: d.Name, Email: d.Email, Phone: d.Phone, Type: d.Type,
		LabelID: int64(d.LabelID), OwnerID: int64(d.OwnerID), Visibility: d.VisibilityType}
	if d.Label != nil && d.Label.Name != "" {
		c.Label = d.Label.Name
	} else {
		c.Label = e.labels.name(d.LabelID)
	}
	if len(d.CField) > 0 || len(d.CustomField) > 0 {
		c.CustomField = make(map[string]string, len(d.CField)+len(d.CustomField))
		for k, v := range d.CField {
			c.CustomField[k] = v
		}
		for _, f := range d.CustomField {
			for _, k := range []string{f.Code, f.Label, f.ShortName} {
				if k != "" {
					c.CustomField[k] = f.Value
				}
			}
		}
	}
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, d.CreatedAt)
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, d.UpdatedAt)
	return c
}

// keyLocks serialises work per contact key.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyLocks) lock(key string) (unlock func()) {
	if key == "" {
		return func() {}
	}
	k.mu.Lock()
	l := entry(&k.m, key)
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// entry is m's value for key, a new zero one added when there is none (m
// made on first use). The caller holds the lock guarding m.
func entry[T any](m *map[string]*T, key string) *T {
	if *m == nil {
		*m = map[string]*T{}
	}
	v := (*m)[key]
	if v == nil {
		v = new(T)
		(*m)[key] = v
	}
	return v
}

// recentSet remembers a value per contact key (the ids of recently created
// contacts; the times of creates whose outcome is unknown), up to a bound
// (oldest forgotten first).
type recentSet[V any] struct {
	mu    sync.Mutex
	max   int
	vals  map[string]V
	order []string
}

func newRecentSet[V any](n int) *recentSet[V] {
	return &recentSet[V]{max: n, vals: map[string]V{}}
}

func (r *recentSet[V]) get(key string) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vals[key]
	return v, ok
}

func (r *recentSet[V]) add(key string, v V) {
	if key == "" || r.max == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.vals[key]; !ok {
		r.order = append(r.order, key)
	}
	r.vals[key] = v
	for len(r.order) > r.max {
		delete(r.vals, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *recentSet[V]) forget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.vals, key)
}
