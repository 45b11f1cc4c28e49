package engine_test

import (
	"reflect"
	"testing"

	"github.com/leadhook/leadhook/rules/engine"
)

// TestChanges: the actions of one plan that merge into one write count
// once per contact, type and outcome; distinct outcomes stay apart.
func TestChanges(t *testing.T) {
	r := func(rule, typ, outcome string, id int64) engine.ActionResult {
		return engine.ActionResult{Rule: rule, Type: typ, Outcome: outcome, ContactID: id}
	}
	c := func(typ, outcome string, id int64) engine.ContactChange {
		return engine.ContactChange{Type: typ, Outcome: outcome, ContactID: id}
	}
	tests := []struct {
		name    string
		results []engine.ActionResult
		want    []engine.ContactChange
	}{
		{name: "none", results: nil, want: []engine.ContactChange{}},
		{name: "two rules label one contact",
			results: []engine.ActionResult{r("capture", "upsert_contact", "created", 7), r("capture", "assign_label", "created", 7), r("hot", "assign_label", "created", 7)},
			want:    []engine.ContactChange{c("upsert_contact", "created", 7), c("assign_label", "created", 7)}},
		{name: "an overridden label is unchanged, the other updated",
			results: []engine.ActionResult{r("a", "assign_label", "unchanged", 7), r("b", "assign_label", "updated", 7)},
			want:    []engine.ContactChange{c("assign_label", "unchanged", 7), c("assign_label", "updated", 7)}},
		{name: "a failed create",
			results: []engine.ActionResult{r("a", "upsert_contact", "failed", 0), r("b", "assign_owner", "failed", 0), r("c", "assign_owner", "failed", 0)},
			want:    []engine.ContactChange{c("upsert_contact", "failed", 0), c("assign_owner", "failed", 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.Changes(tc.results); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Changes = %+v, want %+v", got, tc.want)
			}
		})
	}
}
