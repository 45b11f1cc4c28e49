package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// Event outcomes (the "outcome" field and the events_total label).
const (
	OutcomeOK     = "ok"      // every action succeeded (or nothing to do)
	OutcomeFailed = "failed"  // Deskera rejected our data: 422, never retried
	OutcomeRetry  = "retry"   // temporary failure: 503 + Retry-After
	OutcomeDryRun = "dry_run" // plan only, no Deskera call
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
	// Plan and Calls are given on dry runs only.
	Plan  *rules.Plan  `json:"plan,omitempty"`
	Calls []rules.Call `json:"calls,omitempty"`
	// Explain gives every rule's verdict with the value of each of its
	// sub-expressions (dry runs with ?explain=1 only; what `leadhook eval`
	// prints).
	Explain *rules.Explanation `json:"explain,omitempty"`
	// Error says why the event failed (no internal details).
	Error string `json:"error,omitempty"`

	status int
}

// RuleError is a rule whose evaluation failed.
type RuleError struct {
	Rule  string `json:"rule"`
	Error string `json:"error"`
}

// ActionResult is one executed (or planned) action.
type ActionResult struct {
	Rule      string `json:"rule"`
	Type      string `json:"type"`
	ContactID int64  `json:"contact_id,omitempty"`
	Outcome   string `json:"outcome"`
	Error     string `json:"error,omitempty"`
}

// processOne runs one event through the engine and classifies the result.
func (s *Service) processOne(ctx context.Context, set *rules.Set, src *source, ev *rules.Event, dryRun bool) (*EventResult, time.Duration) {
	start := time.Now()
	out, err := s.engine.Process(ctx, set, ev, dryRun)
	r := &EventResult{EventID: ev.ID, Source: src.Name, Outcome: OutcomeOK, Matched: []string{}, Actions: []ActionResult{}, status: http.StatusOK}
	if out != nil {
		fillResult(r, out, dryRun)
	}
	// Explaining compiles every sub-expression (~16 ms an event): only
	// on request (?dry_run=1&explain=1), so that dry runs stay cheap.
	if dryRun && out != nil && isTrue(ev.Query["explain"]) {
		r.Explain = set.Explain(ev, nil)
	}
	var retryAfter time.Duration
	switch {
	case err != nil:
		r.status, retryAfter, r.Error = classify(err)
	case failedAction(r.Actions) != "":
		// Deskera failures come back as err; a failed action without one
		// is our own data (an expression that cannot be applied).
		r.status, r.Error = http.StatusUnprocessableEntity, "an action failed: "+failedAction(r.Actions)
	}
	switch {
	case r.status == http.StatusServiceUnavailable:
		r.Outcome = OutcomeRetry
	case r.status >= 400:
		r.Outcome = OutcomeFailed
	case dryRun:
		r.Outcome = OutcomeDryRun
	}
	s.record(r, ev, time.Since(start), err)
	return r, retryAfter
}

func fillResult(r *EventResult, out *rules.Outcome, dryRun bool) {
	if p := out.Plan; p != nil {
		r.Score = p.Score
		for _, rr := range p.Rules {
			if rr.Matched {
				r.Matched = append(r.Matched, rr.Name)
			}
			if rr.Error != "" {
				r.Errored = append(r.Errored, RuleError{Rule: rr.Name, Error: rr.Error})
			}
		}
	}
	for _, a := range out.Results {
		r.Actions = append(r.Actions, ActionResult{Rule: a.Rule, Type: a.Type, ContactID: a.ContactID, Outcome: a.Outcome, Error: a.Error})
	}
	if dryRun {
		r.Plan = out.Plan
		r.Calls = out.Calls
	}
}

// failedAction returns the error of the first failed action ("" when
// none failed; skipped actions are not failures).
func failedAction(as []ActionResult) string {
	for _, a := range as {
		if a.Outcome == rules.OutcomeFailed {
			return cmp.Or(a.Error, "failed")
		}
	}
	return ""
}

// classify maps a processing error to a status: Deskera temporarily
// failing -> 503 with its Retry-After; Deskera rejecting our data (400,
// 404, 409, 422) or a rule that cannot act -> 422; anything else
// (including a rejected token) -> 503, since a later retry may succeed.
func classify(err error) (int, time.Duration, string) {
	if ra, ok := deskera.Temporary(err); ok {
		return http.StatusServiceUnavailable, max(ra, time.Second), "deskera is temporarily unavailable; retry later"
	}
	var api *deskera.APIError
	if errors.As(err, &api) {
		switch api.StatusCode {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
			return http.StatusUnprocessableEntity, 0, "deskera rejected the data: " + api.Message
		}
		return http.StatusServiceUnavailable, 30 * time.Second, "deskera refused the request; retry later"
	}
	if errors.Is(err, rules.ErrNoContact) || errors.Is(err, rules.ErrLabelNotFound) {
		return http.StatusUnprocessableEntity, 0, err.Error()
	}
	return http.StatusServiceUnavailable, 5 * time.Second, "processing failed; retry later"
}

// record counts the event, its rules and actions, and logs one line.
func (s *Service) record(r *EventResult, ev *rules.Event, d time.Duration, err error) {
	if m := s.metrics; m != nil {
		m.events.WithLabelValues(r.Source, r.Outcome).Inc()
		for _, name := range r.Matched {
			m.rulesMatched.WithLabelValues(name).Inc()
		}
		for _, e := range r.Errored {
			m.rulesErrored.WithLabelValues(e.Rule).Inc()
		}
		for _, a := range r.Actions {
			m.actions.WithLabelValues(a.Type, actionOutcome(a)).Inc()
		}
	}
	attrs := []any{
		"id", r.EventID, "source", r.Source, "kind", ev.Kind, "email", MaskEmail(ev.Email),
		"matched", r.Matched, "outcome", r.Outcome, "status", r.status,
		"actions", len(r.Actions), "contact_ids", contactIDs(r.Actions), "duration_ms", d.Milliseconds(),
	}
	if err != nil {
		attrs = append(attrs, "err", MaskEmails(err.Error()))
	}
	level := slog.LevelInfo
	if r.status >= 500 {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "event", attrs...)
}

// actionOutcome is the metrics label: the engine's fixed outcome names.
func actionOutcome(a ActionResult) string {
	return cmp.Or(a.Outcome, "unknown")
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
