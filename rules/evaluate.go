package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/leadhook/leadhook/internal/digits"
)

// Plan is the result of evaluating one event: pure data, JSON-serialisable.
type Plan struct {
	Score      float64            `json:"score"`
	Scores     map[string]float64 `json:"scores,omitempty"`
	ScoreLabel string             `json:"score_label,omitempty"`
	// Key is the contact key (lowercased email, phone digits or contact id).
	Key     string       `json:"key,omitempty"`
	Rules   []RuleResult `json:"rules"`
	Actions []Action     `json:"actions"`
	// Errors lists score expressions that failed at run time (counted as 0).
	Errors []string `json:"errors,omitempty"`
	// Scoring says how Score combines the contact's stored score with the
	// event's own (nil when scores are not stored, see `scoring`).
	Scoring *Scoring `json:"scoring,omitempty"`
}

// RuleResult says what happened to one rule.
type RuleResult struct {
	Name    string `json:"name"`
	Matched bool   `json:"matched"`
	// Skipped is why the rule was not evaluated ("disabled", "stopped by
	// rule \"x\"").
	Skipped string `json:"skipped,omitempty"`
	// Error is the first runtime error in the rule's when or actions.
	Error string `json:"error,omitempty"`
}

// Action is one resolved action of a plan.
type Action struct {
	Rule    string         `json:"rule"`
	Type    string         `json:"type"`
	MatchOn string         `json:"match_on,omitempty"`
	Fields  *ContactFields `json:"fields,omitempty"`
	// Label is the label name (assign_label).
	Label string `json:"label,omitempty"`
	// OwnerID is the owner picked (assign_owner); Pool the pool it came from.
	OwnerID       int64  `json:"owner_id,omitempty"`
	Pool          string `json:"pool,omitempty"`
	Visibility    string `json:"visibility,omitempty"`
	VisibilityIDs string `json:"visibility_ids,omitempty"`
}

// runner runs programs on its env with a pooled VM; pooled as a whole so
// that an evaluation allocates neither.
type runner struct {
	vm  vm.VM
	env Env
	// byValue are the set's programs that may run on boxed (see valueEnv).
	byValue map[*vm.Program]bool
	// boxed is env as a valueEnv, set by Evaluate for a phase in which env
	// does not change (nil: every program runs on &env).
	boxed any
}

func (r *runner) run(p *vm.Program) (out any, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			out, err = nil, fmt.Errorf("panic: %v", rec)
		}
	}()
	if r.boxed != nil && r.byValue[p] {
		return r.vm.Run(p, r.boxed)
	}
	return r.vm.Run(p, &r.env)
}

// box freezes env for the programs that run by value: call it after
// every change of env that those programs must see.
func (r *runner) box() {
	r.boxed = nil
	if len(r.byValue) > 0 {
		r.boxed = valueOf(&r.env)
	}
}

func (s *Set) getRunner(ev *Event, c *Contact) *runner {
	r := s.vms.Get().(*runner)
	r.env = Env{Event: ev, Contact: c}
	r.byValue, r.boxed = s.byValue, nil
	return r
}

func (s *Set) putRunner(r *runner) {
	r.env = Env{}
	r.byValue, r.boxed = nil, nil
	s.vms.Put(r)
}

// planAlloc holds a plan and its scoring in one allocation.
type planAlloc struct {
	plan    Plan
	scoring Scoring
}

// Evaluate evaluates the event (with the existing contact, nil when
// unknown) into a plan. It does no I/O, is deterministic, and never
// panics: a runtime error is recorded in the plan and the other rules go on.
//
// The rules' conditions run first and their actions after, in rule order:
// expressions are pure and see the same env in both, so the order is not
// seen, and the plan's actions are allocated once, at their number.
func (s *Set) Evaluate(ev *Event, contact *Contact) *Plan {
	if ev == nil {
		ev = &Event{}
	}
	r := s.getRunner(ev, contact)
	defer s.putRunner(r)
	pa := &planAlloc{}
	plan := &pa.plan
	plan.Key, plan.Rules, plan.Actions = ContactKey(ev, contact), make([]RuleResult, len(s.rules)), []Action{}
	r.box()
	s.score(r, plan)
	s.combineInto(plan, &pa.scoring, contact, ev.ReceivedAt, true)
	plan.ScoreLabel = s.ScoreLabel(plan.Score)
	r.env.Score, r.env.Scores, r.env.ScoreLabel = plan.Score, plan.Scores, plan.ScoreLabel
	r.env.setScoring(plan)
	r.box()
	stoppedBy, skipped, actions := "", "", 0
	for i, rl := range s.rules {
		res := &plan.Rules[i]
		res.Name = rl.name
		switch {
		case !rl.enabled:
			res.Skipped = "disabled"
		case stoppedBy != "":
			res.Skipped = skipped
		default:
			s.evalWhen(r, rl, res)
			if res.Matched {
				actions += len(rl.actions)
				if rl.stop {
					stoppedBy = rl.name
					skipped = "stopped by rule " + strconv.Quote(stoppedBy)
				}
			}
		}
	}
	if actions > 0 {
		plan.Actions = make([]Action, 0, actions)
	}
	for i, rl := range s.rules {
		if res := &plan.Rules[i]; res.Matched {
			s.evalActions(r, rl, plan, res)
		}
	}
	return plan
}

// score runs the score expressions; a failing part counts as 0.
func (s *Set) score(r *runner, plan *Plan) {
	if len(s.scores) == 0 {
		plan.ScoreLabel = s.ScoreLabel(0)
		return
	}
	plan.Scores = make(map[string]float64, len(s.scores))
	for _, sc := range s.scores {
		f, err := r.scorePart(sc)
		if err != nil {
			plan.Errors = append(plan.Errors, fmt.Sprintf("score %q: %v", sc.name, firstLine(err)))
		}
		plan.Scores[sc.name] = f
		plan.Score += f
	}
	plan.ScoreLabel = s.ScoreLabel(plan.Score)
}

// scorePart runs one named score expression; 0 with the error when it
// fails or does not give a finite number.
func (r *runner) scorePart(sc scoreDef) (float64, error) {
	out, err := r.run(sc.prog)
	if err != nil {
		return 0, err
	}
	f, err := asFloat(out)
	if err != nil {
		return 0, err
	}
	return f, nil
}

func asFloat(v any) (float64, error) {
	if f, ok := numberValue(v); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("score is %v", f)
		}
		return f, nil
	}
	return 0, fmt.Errorf("expected a number, got %s", valueKind(v))
}

// numberValue is v as a float64 when it is one of the number types
// expressions produce (float64, int, int64) or nil (a missing value: 0).
func numberValue(v any) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// evalWhen runs the rule's condition.
func (s *Set) evalWhen(r *runner, rl *rule, res *RuleResult) {
	out, err := r.run(rl.when)
	if err != nil {
		res.Error = "when: " + firstLine(err).Error()
		return
	}
	if b, _ := out.(bool); b {
		res.Matched = true
	}
}

// evalActions resolves the actions of a rule that matched.
func (s *Set) evalActions(r *runner, rl *rule, plan *Plan, res *RuleResult) {
	for _, a := range rl.actions {
		act, err := s.resolve(r, rl.name, a, plan)
		if err != nil {
			if res.Error == "" {
				res.Error = err.Error()
			}
			continue
		}
		plan.Actions = append(plan.Actions, act)
	}
}

// resolve computes an action's values.
func (s *Set) resolve(r *runner, ruleName string, a *action, plan *Plan) (Action, error) {
	act := Action{Rule: ruleName, Type: a.typ, MatchOn: a.matchOn}
	switch a.typ {
	case ActionAssignLabel:
		act.Label = a.label
		if a.fromScore {
			act.Label = plan.ScoreLabel
			if act.Label == "" {
				return act, fmt.Errorf("%s: no threshold applies to score %v", a.typ, plan.Score)
			}
		}
	case ActionAssignOwner:
		act.OwnerID = a.ownerID
		if a.pool != nil {
			act.Pool = a.pool.Name
			act.OwnerID = Route(a.pool.Owners, plan.Key)
		}
	case ActionSetVisibility:
		act.Visibility, act.VisibilityIDs = a.vis, a.ids
	case ActionUpsertContact, ActionCreateContact, ActionUpdateContact:
		f, err := s.resolveFields(r, a)
		if err != nil {
			return act, err
		}
		act.Fields = f
	}
	return act, nil
}

func (s *Set) resolveFields(r *runner, a *action) (*ContactFields, error) {
	f := &ContactFields{}
	for _, se := range a.set {
		out, err := r.run(se.prog)
		if err == nil {
			err = se.spec.set(f, out)
		}
		if err != nil {
			return nil, fmt.Errorf("%s set.%s: %v", a.typ, se.spec.Name, firstLine(err))
		}
	}
	for _, ce := range a.custom {
		out, err := r.run(ce.prog)
		var v string
		if err == nil {
			v, err = asString(out)
		}
		if err != nil {
			return nil, fmt.Errorf("%s custom.%s: %v", a.typ, ce.key, firstLine(err))
		}
		if v != "" {
			if f.Custom == nil {
				f.Custom = make(map[string]string, len(a.custom))
			}
			f.Custom[ce.key] = v
		}
	}
	return f, nil
}

// ContactKey is the key that identifies an event's contact for routing
// and locking: the lowercased email (event.email, else event.mail.from),
// else the phone's digits, else "id:<contact id>"; "" when there is none.
// The contact's details are used when the event has none.
func ContactKey(ev *Event, c *Contact) string {
	email, phone, id := "", "", int64(0)
	if ev != nil {
		email, phone, id = Sender(ev), ev.Phone, ev.ContactID
	}
	if c != nil {
		email, phone = firstNonEmpty(email, c.Email), firstNonEmpty(phone, c.Phone)
		if id == 0 {
			id = c.ID
		}
	}
	if email = strings.TrimSpace(email); email != "" {
		return lowerASCII(email)
	}
	if d := digits.Of(phone); d != "" {
		return d
	}
	if id != 0 {
		return "id:" + strconv.FormatInt(id, 10)
	}
	return ""
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// SweepLabel scores a contact for the sweep: ok is false when sweep.when
// rejects it; label is the thresholds' label for its score.
func (s *Set) SweepLabel(ev *Event, c *Contact) (label string, ok bool, err error) {
	r := s.getRunner(ev, c)
	defer s.putRunner(r)
	env := &r.env
	if stored, _ := s.readStored(c); stored != nil && s.storesScore() {
		// The sweep learns nothing new about a lead: its stored score
		// (decayed) is the score, combined as an event without one.
		plan := &Plan{}
		s.combine(plan, c, ev.ReceivedAt, false)
		env.Score, env.Scores = plan.Score, plan.Scores
		env.setScoring(plan)
	} else {
		if s.sweep.when != nil {
			env.Scores = make(map[string]float64, len(s.scores))
		}
		for _, sc := range s.scores {
			f, err := r.scorePart(sc)
			if err != nil {
				return "", false, fmt.Errorf("score %q: %v", sc.name, firstLine(err))
			}
			env.Score += f
			if env.Scores != nil {
				env.Scores[sc.name] = f
			}
		}
		env.EventScore, env.EventScores = env.Score, env.Scores
	}
	env.ScoreLabel = s.ScoreLabel(env.Score)
	if s.sweep.when != nil {
		out, err := r.run(s.sweep.when)
		if err != nil {
			return "", false, fmt.Errorf("sweep when: %v", firstLine(err))
		}
		if b, _ := out.(bool); !b {
			return "", false, nil
		}
	}
	return env.ScoreLabel, true, nil
}

// lowerASCII lowercases s, allocating only when s has upper-case letters.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}
