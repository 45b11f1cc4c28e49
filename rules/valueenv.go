package rules

import (
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// valueEnv mirrors Env field by field (same order, names and types) but
// holds the event by value. Expressions are compiled against Env; a
// program that only reaches the event through member chains (event.kind,
// event.mail.subject) runs the same on a boxed valueEnv, where expr's
// field fetches read through a non-addressable value and so hand back
// strings, numbers and the Mail struct without boxing a copy of each: one
// allocation per evaluation phase instead of one per field read.
// TestValueEnvMirrorsEnv keeps the two in step.
type valueEnv struct {
	Event       Event
	Contact     *Contact
	Score       float64
	Scores      map[string]float64
	ScoreLabel  string
	StoredScore float64
	EventScore  float64
	EventScores map[string]float64
}

// valueOf boxes e with its event copied (nil when e has no event).
func valueOf(e *Env) any {
	if e.Event == nil {
		return nil
	}
	return valueEnv{
		Event: *e.Event, Contact: e.Contact, Score: e.Score, Scores: e.Scores, ScoreLabel: e.ScoreLabel,
		StoredScore: e.StoredScore, EventScore: e.EventScore, EventScores: e.EventScores,
	}
}

// runsByValue reports whether p can run on a valueEnv: the event is never
// used whole (passed to a function, compared, stored in a variable), so
// that holding it by value rather than by pointer cannot be seen, and the
// environment itself ($env) is never used.
func runsByValue(p *vm.Program) bool {
	if p == nil {
		return false
	}
	v := &wholeEventFinder{}
	node := p.Node()
	ast.Walk(&node, v)
	return !v.env && v.event == v.member
}

// wholeEventFinder counts the event identifiers and those that are the
// object of a member access (event.x, event?.x, event[x]).
type wholeEventFinder struct {
	event, member int
	env           bool
}

func (f *wholeEventFinder) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "event":
			f.event++
		case "$env":
			f.env = true
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "event" {
			f.member++
		}
	}
}

// byValuePrograms lists the set's programs that run on a valueEnv.
func (s *Set) byValuePrograms() map[*vm.Program]bool {
	m := map[*vm.Program]bool{}
	add := func(p *vm.Program) {
		if runsByValue(p) {
			m[p] = true
		}
	}
	for _, sc := range s.scores {
		add(sc.prog)
	}
	for _, r := range s.rules {
		add(r.when)
		for _, a := range r.actions {
			for _, se := range a.set {
				add(se.prog)
			}
			for _, ce := range a.custom {
				add(ce.prog)
			}
		}
	}
	return m
}
