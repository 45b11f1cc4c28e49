// Package rules loads leadhook's YAML rules file, compiles its expressions
// (expr-lang/expr) once against a typed environment, evaluates events into
// plans, and carries plans out on the Deskera CRM with as few calls as
// possible.
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
//   - Engine: Prepare resolves labels, Process looks the contact up,
//     evaluates and executes the plan (a new contact gets its label and
//     owner inside its POST; changes to an existing contact merge into one
//     PATCH), Sweep relabels every contact by its score in bulk.
//   - Stored scores (scoring.go): the score a contact earned rides in that
//     POST or PATCH as custom fields, is read back on its next event and
//     in the sweep, and combines with a new event's score by the declared
//     policy (max or latest, optional half-life decay).
//
// docs/rules-reference.md is generated from this package
// (go run ./rules/internal/gendoc) and a test keeps it current.
package rules
