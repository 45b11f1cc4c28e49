package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// TestRunTimeRuleErrorActsOnNothing: a rule or score that errors at run
// time makes Process return a *RuleFailure naming it (classified as a
// temporary rule error) and act on nothing, instead of a plan done in
// part that would be answered 200.
func TestRunTimeRuleErrorActsOnNothing(t *testing.T) {
	const base = `
labels: [Hot lead]
thresholds: {Hot lead: 0}
rules:
  - name: capture
    when: 'email_valid(event.email)'
    actions:
      - upsert_contact: {match_on: email, set: {email: event.email}}
`
	tests := []struct {
		name, extra, want string
	}{
		{"rule", `  - name: seats
    when: 'int(event.fields.seats) > 5'
    actions:
      - assign_label: Hot lead
`, `rule "seats" failed`},
		{"score", "scores:\n  seats: 'int(event.fields.seats)'\n", `a score failed: score "seats"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := deskeratest.NewServer(t)
			eng, err := engine.NewEngine(srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			set, err := rules.Load("t.yaml", []byte(base+tc.extra))
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Prepare(context.Background(), set); err != nil {
				t.Fatal(err)
			}
			_, err = eng.Process(context.Background(), set, formEvent("pat@acme.io", map[string]any{"seats": "many"}), false)
			var rf *rules.RuleFailure
			if !errors.As(err, &rf) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a RuleFailure saying %s", err, tc.want)
			}
			if f := engine.Classify(err); f.Cause != engine.CauseRule || f.Final {
				t.Errorf("Classify = %+v, want a temporary rule error", f)
			}
			if n := len(srv.Contacts()); n != 0 {
				t.Errorf("%d contacts created", n)
			}
		})
	}
}
