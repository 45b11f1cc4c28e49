package rules

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/expr-lang/expr/vm"
	yaml "go.yaml.in/yaml/v3"
)

// SweepRule is one of the sweep's owner rules (`sweep.rules`): a contact
// for which When is true gets the owner (a fixed id, or one routed from
// Pool by the same weighted rendezvous hashing of the contact key as an
// event's assign_owner). When several match, the later rule wins.
type SweepRule struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	When        string `json:"when"`
	OwnerID     int64  `json:"owner_id,omitempty"`
	Pool        string `json:"pool,omitempty"`
	Line        int    `json:"-"`
	when        *vm.Program
	pool        *Pool
	// fromOwner (reassign) restricts the rule to contacts of that owner.
	fromOwner int64
}

func sweepRuleFields(l *loader, r *SweepRule, whenNode, ownerNode **yaml.Node) map[string]fieldFunc {
	return map[string]fieldFunc{
		"name":         func(_, _ *yaml.Node) {}, // read first, see decodeSweepRules
		"description":  func(_, v *yaml.Node) { r.Description, _ = l.str(v, r.Name, "description") },
		"when":         func(_, v *yaml.Node) { *whenNode = v },
		"assign_owner": func(_, v *yaml.Node) { *ownerNode = v },
	}
}

// decodeSweepRules decodes sweep.rules; the pools are declared by then.
func (l *loader) decodeSweepRules(n *yaml.Node, set *Set, p *SweepPolicy) {
	names := map[string]int{}
	for i, item := range l.list(n, "", "sweep rules") {
		r := SweepRule{Name: l.ruleName(item, i), Line: item.Line}
		var whenNode, ownerNode *yaml.Node
		if !l.mapping(item, r.Name, "sweep rule", sweepRuleFields(l, &r, &whenNode, &ownerNode)) {
			continue
		}
		ok := true
		if whenNode == nil {
			l.errorf(item, r.Name, "sweep rule has no when (use when: 'true' to match every contact)")
			ok = false
		} else {
			l.contactKnown = true // the sweep runs on existing contacts
			r.when, r.When, ok = l.compile(whenNode, r.Name, "when", kindBool)
			l.contactKnown = false
		}
		if ownerNode == nil {
			l.errorf(item, r.Name, "sweep rule has no assign_owner (the sweep's labels come from the thresholds)")
			continue
		}
		a := &action{typ: ActionAssignOwner}
		if !l.ownerOptions(deref(ownerNode), r.Name, set, a) || !ok {
			continue
		}
		r.OwnerID, r.pool = a.ownerID, a.pool
		if a.pool != nil {
			r.OwnerID, r.Pool = 0, a.pool.Name
		}
		if first, dup := names[r.Name]; dup {
			l.errorf(item, r.Name, "duplicate sweep rule name (first at line %d)", first)
			continue
		}
		names[r.Name] = item.Line
		p.Rules = append(p.Rules, r)
	}
}

// SweepOwner runs the owner rules on a contact: the owner the last
// matching rule gives and its name ("" when none matches).
func (s *Set) SweepOwner(ev *Event, c *Contact, rs []SweepRule) (owner int64, rule string, err error) {
	if len(rs) == 0 || c == nil {
		return 0, "", nil
	}
	r := s.getRunner(ev, c)
	defer s.putRunner(r)
	for i := range rs {
		sr := &rs[i]
		if sr.fromOwner != 0 && c.OwnerID != sr.fromOwner {
			continue
		}
		if sr.when != nil {
			out, err := r.run(sr.when)
			if err != nil {
				return 0, "", fmt.Errorf("sweep rule %q: when: %v", sr.Name, firstLine(err))
			}
			if b, _ := out.(bool); !b {
				continue
			}
		}
		owner, rule = sr.OwnerID, sr.Name
		if sr.pool != nil {
			owner = Route(sr.pool.Owners, ContactKey(ev, c))
		}
	}
	return owner, rule, nil
}

// ReassignTarget is where `leadhook reassign` sends the contacts of
// FromOwner: a pool of the rules file (routed per contact) or one owner.
type ReassignTarget struct {
	FromOwner int64
	Pool      string
	ToOwner   int64
	// When optionally narrows the contacts (an expression over `contact`).
	When string
}

// ReassignRule turns a reassign target into the one owner rule a sweep
// without relabelling runs.
func (s *Set) ReassignRule(t ReassignTarget) (SweepRule, error) {
	r := SweepRule{Name: "reassign", fromOwner: t.FromOwner, OwnerID: t.ToOwner, When: t.When}
	switch {
	case t.FromOwner <= 0:
		return r, fmt.Errorf("rules: reassign: from owner %d is not a positive id", t.FromOwner)
	case (t.Pool == "") == (t.ToOwner <= 0):
		return r, errors.New("rules: reassign: give either a pool or a positive owner id to reassign to")
	case t.ToOwner == t.FromOwner:
		return r, fmt.Errorf("rules: reassign: from and to owner are both %d", t.FromOwner)
	}
	if t.Pool != "" {
		p, ok := s.pools[t.Pool]
		if !ok {
			return r, fmt.Errorf("rules: reassign: owner pool %q is not declared under owners%s", t.Pool, didYouMean(t.Pool, mapKeys(s.pools)))
		}
		r.pool, r.Pool = p, p.Name
	}
	if t.When != "" {
		prog, err := compileExpr(t.When, kindBool)
		if err != nil {
			return r, fmt.Errorf("rules: reassign: when %q: %w", t.When, err)
		}
		r.when = prog
	}
	return r, nil
}

// ownerKey is an owner id as a ByOwner key.
func ownerKey(id int64) string { return strconv.FormatInt(id, 10) }
