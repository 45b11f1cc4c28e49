// Package rules decides: it loads leadhook's YAML rules file, compiles its
// expressions (expr-lang/expr) once against a typed environment, evaluates
// events into plans and explains them. It never talks to Deskera; package
// rules/engine carries plans out there.
//
// The pieces, in the order an event meets them:
//
//   - Load / LoadFile: strict YAML decoding, ${VAR} interpolation,
//     validation of labels, owner pools, sources, scores, thresholds, the
//     sweep policy and rules; every problem is reported at once as
//     `file:line: rule "name": message` (a *LoadError).
//   - (*Set).Evaluate: pure and deterministic; event (+ known contact) in,
//     *Plan out. A runtime error in one expression is recorded in the plan
//     and never stops the other rules.
//   - Stored scores (scoring.go): the score a contact earned is kept in
//     custom fields (AppendStoredFields), read back on its next event and in the
//     sweep, and combines with a new event's score by the declared policy
//     (max or latest, optional half-life decay).
//
// docs/rules-reference.md is generated from this package
// (go run ./rules/internal/gendoc) and a test keeps it current.
package rules
