// Package ruletest reads and runs leadhook rule test files (YAML): each
// names a rules file and lists cases that feed an event (a real provider
// payload with its headers, or an inline normalised event) or a sweep
// through the rules, on an in-memory Deskera (deskeratest) seeded with a
// starting CRM state, and compare what happened with what is expected:
// matched rules, score, planned actions, Deskera calls, the CRM contacts
// afterwards, or an error. `leadhook test` is its command line.
//
// Expectations are partial: only the keys written are checked; a map
// matches when every written key matches, a list when it has the same
// length and each item matches. A failing case reports a diff of the
// expected and the actual values of the keys that differ.
package ruletest
