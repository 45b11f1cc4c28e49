package rules_test

import (
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// TestLoadWarnings: a field of a contact that may be nil is a warning (the
// file loads); guarded reads and the sweep (always a contact) are not.
func TestLoadWarnings(t *testing.T) {
	const head = "labels: [Hot lead]\n"
	rule := func(when, note string) string {
		return head + "rules:\n  - name: r\n    when: '" + when + "'\n    actions:\n      - update_contact: {set: {note: '" + note + "'}}\n"
	}
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"unguarded when", rule(`contact.owner_id == 0`, `"x"`),
			[]string{`4: rule "r": warning: when: contact.owner_id fails on every event without a contact (every new lead); write contact?.owner_id or guard it with contact != nil &&`}},
		{"unguarded action", rule(`true`, `contact.name`),
			[]string{`6: rule "r": warning: update_contact set.note: contact.name fails on every event without a contact (every new lead); write contact?.name or guard it with contact != nil &&`}},
		{"unguarded function argument", rule(`days_between(contact.created_at, event.received_at) > 30`, `"x"`),
			[]string{`4: rule "r": warning: when: contact.created_at fails on every event without a contact (every new lead); write contact?.created_at or guard it with contact != nil &&`}},
		{"unguarded score", head + "scores:\n  owned: 'contact.owner_id > 0 ? 10 : 0'\n",
			[]string{`3: warning: score "owned": contact.owner_id fails on every event without a contact (every new lead); write contact?.owner_id or guard it with contact != nil &&`}},
		{"guard in a conjunction", rule(`contact != nil && contact.owner_id == 0`, `contact.name`), nil},
		{"nil first in a disjunction", rule(`contact == nil || contact.owner_id == 0`, `"x"`), nil},
		{"guard in a conditional", rule(`contact == nil ? false : contact.label == "x"`, `contact.name`), nil},
		{"optional chaining", rule(`contact?.owner_id == 0`, `contact?.name ?? ""`), nil},
		{"negated guard", rule(`!(contact == nil) && contact.label == "x"`, `"x"`), nil},
		{"sweep always has a contact", head + "sweep:\n  when: 'contact.owner_id == 0'\n", nil},
		{"disjunction does not guard", rule(`contact != nil || contact.label == "x"`, `"x"`),
			[]string{`4: rule "r": warning: when: contact.label fails on every event without a contact (every new lead); write contact?.label or guard it with contact != nil &&`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := rules.Load("w.yaml", []byte(tt.file), rules.WithLookupEnv(noEnv))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []string
			for _, w := range set.Warnings() {
				if w.Severity != rules.SeverityWarning {
					t.Errorf("severity %q", w.Severity)
				}
				got = append(got, strings.TrimPrefix(w.Error(), "w.yaml:"))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestUnguardedContactFailsAtRunTime proves the warning is not idle: the
// unguarded read errors on an event without a contact, the guarded one
// does not.
func TestUnguardedContactFailsAtRunTime(t *testing.T) {
	const file = "rules:\n  - {name: bare, when: 'contact.owner_id == 0', actions: [delete_contact: {}]}\n" +
		"  - {name: safe, when: 'contact?.owner_id == nil', actions: [delete_contact: {}]}\n"
	set, err := rules.Load("w.yaml", []byte(file), rules.WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	plan := set.Evaluate(&rules.Event{Kind: rules.KindForm}, nil)
	if plan.Rules[0].Error == "" {
		t.Errorf("rule bare: no run-time error on a nil contact; the warning would be wrong")
	}
	if plan.Rules[1].Error != "" || !plan.Rules[1].Matched {
		t.Errorf("rule safe: %+v, want matched without error", plan.Rules[1])
	}
}
