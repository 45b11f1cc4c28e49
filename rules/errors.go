package rules

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one error found while loading a rules file.
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Rule string `json:"rule,omitempty"`
	// Severity is SeverityWarning for a pitfall that cannot be proven
	// wrong, "" for an error.
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
}

// SeverityWarning marks a Problem that does not stop the file loading.
const SeverityWarning = "warning"

// Error formats the problem as `file:line: rule "name": message`; the line
// and rule parts are left out when unknown.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", p.Rule)
	}
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// LoadError is returned by Load and LoadFile; it lists every problem found,
// in file order.
type LoadError struct {
	Problems []Problem
	// Warnings are the pitfalls found besides (not counted as problems).
	Warnings []Problem
}

// Error prints one problem per line.
func (e *LoadError) Error() string {
	if e == nil || len(e.Problems) == 0 {
		return "rules: invalid rules file"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// ErrNoContact is reported (in ActionResult.Error) when an action needs an
// existing contact and there is none.
var ErrNoContact = errors.New("no contact to act on")

// ErrLabelNotFound is returned when a label name cannot be resolved in the
// CRM and the rules file does not declare it with create: true.
var ErrLabelNotFound = errors.New("label not found")

// ErrScoreFieldRefused wraps a Deskera 400/422 to a POST or PATCH that
// carried the stored score, when Deskera names a custom field: the score's
// fields come from the rules file (`scoring`), so the refusal is ours to
// fix (create the fields in Deskera, or set scoring.store: false), never
// the delivery's.
var ErrScoreFieldRefused = errors.New("deskera refused the stored score's custom fields")

// RuleFailure is a rule that errored at run time (its condition, score or
// an action's expression): the event was not fully acted on. Fixing the
// rules file lets the sender's retry succeed.
type RuleFailure struct {
	Rules  []string // names of the failed rules, in file order
	Scores []string // failed score expressions (`score "name": error`)
	Err    string   // the first failure's message
}

func (e *RuleFailure) Error() string {
	what := "rule " + quoteList(e.Rules)
	switch {
	case len(e.Rules) == 0:
		what = "a score"
	case len(e.Scores) > 0:
		what += " and a score"
	}
	return what + " failed: " + e.Err + "; fix the rules file, the sender's retry will then succeed"
}
