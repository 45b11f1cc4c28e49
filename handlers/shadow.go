package handlers

import (
	"errors"
	"slices"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// SetShadow sets the shadow rules file (nil: none): every event is also
// evaluated by it, offline (no Deskera call, nothing acted), and what it
// would decide otherwise is counted and recorded on the delivery.
func (s *Service) SetShadow(set *rules.Set) { s.shadow.Store(set) }

// Shadow returns the shadow rules file in force (nil: none).
func (s *Service) Shadow() *rules.Set { return s.shadow.Load() }

// evaluateShadow evaluates sh on the event with the contact the live rules
// saw, and counts the differences.
func (s *Service) evaluateShadow(sh *rules.Set, ev *rules.Event, out *engine.Outcome) *history.Shadow {
	if out.Plan == nil {
		return nil // the live rules never got to evaluate (the lookup failed)
	}
	shadow := CompareRules(out.Plan, sh, ev, out.Contact)
	if m := s.auditMetrics; m != nil {
		m.shadowEvents.Inc()
		for _, d := range shadow.Differences {
			m.shadowDiffs.WithLabelValues(d).Inc()
		}
	}
	return shadow
}

// CompareRules evaluates candidate on ev and contact (offline: plans
// only) and says how its decision differs from live, a plan of the live
// rules on the same event and contact: the rules matched, the label set,
// the owner picked and the actions planned.
func CompareRules(live *rules.Plan, candidate *rules.Set, ev *rules.Event, contact *rules.Contact) *history.Shadow {
	p := candidate.Evaluate(ev, contact)
	sh := &history.Shadow{RulesVersion: candidate.Digest(), Matched: matchedRules(p), Score: p.Score,
		Label: planLabel(p), Owner: planOwner(p), Planned: shadowPlanned(p)}
	if err := planError(p); err != nil {
		sh.Error = MaskEmails(err.Error())
	}
	if !slices.Equal(matchedRules(live), sh.Matched) {
		sh.Differences = append(sh.Differences, "matched")
	}
	if planLabel(live) != sh.Label {
		sh.Differences = append(sh.Differences, "label")
	}
	if planOwner(live) != sh.Owner {
		sh.Differences = append(sh.Differences, "owner")
	}
	if !slices.Equal(shadowPlanned(live), sh.Planned) {
		sh.Differences = append(sh.Differences, "planned")
	}
	return sh
}

// matchedRules names the rules that matched, in order ([] when none):
// counted first, so the list is one allocation, not a growth per rule.
func matchedRules(p *rules.Plan) []string {
	n := 0
	for _, r := range p.Rules {
		if r.Matched {
			n++
		}
	}
	out := make([]string, 0, n)
	for _, r := range p.Rules {
		if r.Matched {
			out = append(out, r.Name)
		}
	}
	return out
}

// planLabel is the label the plan assigns: its last assign_label action
// (each one overwrites the contact's label), "" when none.
func planLabel(p *rules.Plan) string {
	label := ""
	for _, a := range p.Actions {
		if a.Type == rules.ActionAssignLabel {
			label = a.Label
		}
	}
	return label
}

// planError is the plan's first evaluation error (nil: none).
func planError(p *rules.Plan) error {
	if len(p.Errors) > 0 {
		return errors.New(p.Errors[0])
	}
	for _, r := range p.Rules {
		if r.Error != "" {
			return errors.New("rule " + r.Name + ": " + r.Error)
		}
	}
	return nil
}
