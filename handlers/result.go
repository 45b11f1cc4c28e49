package handlers

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// Event outcomes (the "outcome" field and the events_total label).
const (
	OutcomeOK       = "ok"      // every action succeeded (or nothing to do)
	OutcomeRejected = "failed"  // the event is rejected: Deskera refused the delivery's data (422, never retried); not engine.ActionFailed
	OutcomeRetry    = "retry"   // temporary failure: 503 + Retry-After
	OutcomeDryRun   = "dry_run" // plan only, no Deskera call
	OutcomeQueued   = "queued"  // stored for a worker: 202 Accepted
)

// EventResult is the answer about one event.
type EventResult struct {
	EventID string         `json:"event_id"`
	Source  string         `json:"source"`
	Outcome string         `json:"outcome"`
	Score   float64        `json:"score"`
	Matched []string       `json:"matched"`
	Errored []RuleError    `json:"errored,omitempty"`
	Actions []ActionResult `json:"actions"`
	// Calls are given on dry runs only, Plan on dry runs with ?explain=1.
	Plan  *rules.Plan   `json:"plan,omitempty"`
	Calls []engine.Call `json:"calls,omitempty"`
	// Explain gives every rule's verdict with the value of each of its
	// sub-expressions (dry runs with ?explain=1 only; what `leadhook eval`
	// prints).
	Explain *rules.Explanation `json:"explain,omitempty"`
	// Error says why the event failed (no internal details).
	Error string `json:"error,omitempty"`

	status  int
	changes []engine.ContactChange // what actions_total counts
	cause   engine.Cause           // why it failed ("" when it did not)
}

// RuleError is a rule whose evaluation failed.
type RuleError struct {
	Rule  string `json:"rule"`
	Error string `json:"error"`
}

// ActionResult is one executed (or planned) action, as the engine reports it.
type ActionResult = engine.ActionResult

// processOne runs one event through the engine and classifies the result.
func (s *Service) processOne(ctx context.Context, set *rules.Set, src *source, ev *rules.Event, dryRun bool) (*EventResult, time.Duration) {
	start := time.Now()
	out, err := s.engine.Process(ctx, set, ev, dryRun)
	return s.result(ctx, set, src, ev, dryRun, out, err, start)
}

// result builds an event's answer from what the engine did, and records it.
func (s *Service) result(ctx context.Context, set *rules.Set, src *source, ev *rules.Event, dryRun bool, out *engine.Outcome, err error, start time.Time) (*EventResult, time.Duration) {
	r := &EventResult{EventID: ev.ID, Source: src.Name, Outcome: OutcomeOK, Matched: []string{}, Actions: []ActionResult{}, status: http.StatusOK}
	if out != nil {
		fillResult(r, out, dryRun)
	}
	// A dry run answers compactly (outcome, score, matched, actions and
	// the calls it would make); the plan (every rule, the scores) and the
	// explanation, which compiles every sub-expression (~16 ms an event),
	// only on request (?dry_run=1&explain=1), so that dry runs stay cheap.
	if dryRun && out != nil && isTrue(ev.Query["explain"]) {
		r.Plan = out.Plan
		r.Explain = set.Explain(ev, out.Contact) // the contact the dry run found: stored_score and contact as planned
	}
	var retryAfter time.Duration
	var fail engine.Failure
	switch {
	case err != nil:
		fail = classifyFailure(err, r.Actions)
	case failedAction(r.Actions) != "":
		// Deskera failures come back as err; a failed action without one
		// is a rule whose expression cannot be applied: ours to fix.
		fail = engine.Failure{Cause: engine.CauseRule, RetryAfter: 30 * time.Second,
			Message: "rule " + strconv.Quote(failedRule(r.Actions)) + " failed: " + failedAction(r.Actions)}
	}
	if fail.Cause != "" {
		r.status, retryAfter, r.Error = statusOf(fail), fail.RetryAfter, fail.Message
		r.cause = fail.Cause
	}
	if !dryRun {
		s.health.observe(fail)
	}
	switch {
	case r.status == http.StatusServiceUnavailable:
		r.Outcome = OutcomeRetry
	case r.status >= 400:
		r.Outcome = OutcomeRejected
	case dryRun:
		r.Outcome = OutcomeDryRun
	}
	s.record(ctx, r, ev, time.Since(start), err, fail)
	s.auditEvent(ctx, ev, out, r)
	return r, retryAfter
}

func fillResult(r *EventResult, out *engine.Outcome, dryRun bool) {
	if p := out.Plan; p != nil {
		r.Score = p.Score
		r.Matched = matchedRules(p)
		for _, rr := range p.Rules {
			if rr.Error != "" {
				r.Errored = append(r.Errored, RuleError{Rule: rr.Name, Error: rr.Error})
			}
		}
	}
	r.Actions = append(r.Actions, out.Results...)
	r.changes = engine.Changes(out.Results)
	if dryRun {
		r.Calls = out.Calls
	}
}

// failedAction returns the error of the first failed action ("" when
// none failed; skipped actions are not failures).
func failedAction(as []ActionResult) string {
	for _, a := range as {
		if a.Outcome == engine.ActionFailed {
			return cmp.Or(a.Error, "failed")
		}
	}
	return ""
}

// classifyFailure classifies a processing error (see engine.Classify); a
// failure the engine cannot place that comes with a failed action is that
// action's rule failing.
func classifyFailure(err error, as []ActionResult) engine.Failure {
	f := engine.Classify(err)
	if f.Cause == engine.CauseInternal && failedAction(as) != "" {
		f.Cause = engine.CauseRule
		f.Message = "rule " + strconv.Quote(failedRule(as)) + " failed: " + failedAction(as)
	}
	return f
}

// statusOf is the answer for a failure: 422 (final, stored) only when the
// delivery itself is at fault; 503 + Retry-After otherwise.
func statusOf(f engine.Failure) int {
	if f.Final {
		return http.StatusUnprocessableEntity
	}
	return http.StatusServiceUnavailable
}

// failedRule names the rule of the first failed action.
func failedRule(as []ActionResult) string {
	for _, a := range as {
		if a.Outcome == engine.ActionFailed {
			return a.Rule
		}
	}
	return ""
}

// record counts the event, its rules and actions, and logs one line.
func (s *Service) record(ctx context.Context, r *EventResult, ev *rules.Event, d time.Duration, err error, fail engine.Failure) {
	if m := s.metrics; m != nil {
		if fail.Cause != "" {
			m.failures.WithLabelValues(string(fail.Cause)).Inc()
		}
		m.hot.events.get(pair{r.Source, r.Outcome}).Inc()
		for _, name := range r.Matched {
			m.hot.rulesMatched.get(name).Inc()
		}
		for _, e := range r.Errored {
			m.rulesErrored.WithLabelValues(e.Rule).Inc()
		}
		// One per contact change: the actions merged into one write
		// (two rules labelling the contact) count once.
		for _, c := range r.changes {
			m.hot.actions.get(pair{c.Type, cmp.Or(c.Outcome, "unknown")}).Inc()
		}
	}
	level := slog.LevelInfo
	switch {
	case fail.Ours || fail.Cause == engine.CauseRule:
		// Ours to fix: the operator must act, the sender can only retry.
		level = slog.LevelError
	case r.status >= 500:
		level = slog.LevelWarn
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	// Typed attributes (LogAttrs): no reflection but for the two lists.
	attrs := make([]slog.Attr, 0, 13)
	attrs = append(attrs,
		slog.String("id", r.EventID), slog.String("source", r.Source), slog.String("kind", ev.Kind), slog.String("email", MaskEmail(ev.Email)),
		slog.Any("matched", r.Matched), slog.String("outcome", r.Outcome), slog.Int("status", r.status),
		slog.Int("actions", len(r.Actions)), slog.Any("contact_ids", contactIDs(r.Actions)), slog.Float64("duration_ms", obs.Millis(d)))
	if err != nil {
		attrs = append(attrs, slog.String("err", MaskEmails(err.Error())))
	}
	if fail.Cause != "" {
		attrs = append(attrs, slog.String("cause", string(fail.Cause)))
	}
	if level == slog.LevelError {
		attrs = append(attrs, slog.String("reason", MaskEmails(fail.Message)))
	}
	s.log.LogAttrs(ctx, level, "event", attrs...)
}

func contactIDs(as []ActionResult) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, a := range as {
		if a.ContactID != 0 && !seen[a.ContactID] {
			seen[a.ContactID] = true
			out = append(out, a.ContactID)
		}
	}
	return out
}
