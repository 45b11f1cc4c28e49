package handlers_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestActionsCountOncePerContactChange: two rules labelling one contact
// (capture's score label and big-budget's Hot lead) merge into one write,
// so leadhook_actions_total counts one assign_label per delivery, while
// the answer still reports each rule's action.
func TestActionsCountOncePerContactChange(t *testing.T) {
	tests := []struct {
		name string
		// deliveries are posted in order (signed bodies: a different body
		// is a different delivery).
		deliveries []string
		want       string
	}{
		{
			name:       "a new contact labelled by two rules",
			deliveries: []string{"email=two%40example.com&budget=20000"},
			want: `
leadhook_actions_total{outcome="created",type="assign_label"} 1
leadhook_actions_total{outcome="created",type="assign_owner"} 1
leadhook_actions_total{outcome="created",type="upsert_contact"} 1
`,
		},
		{
			name:       "the same lead again changes nothing",
			deliveries: []string{"email=two%40example.com&budget=20000", "email=two%40example.com&budget=20000&again=1"},
			want: `
leadhook_actions_total{outcome="created",type="assign_label"} 1
leadhook_actions_total{outcome="created",type="assign_owner"} 1
leadhook_actions_total{outcome="created",type="upsert_contact"} 1
leadhook_actions_total{outcome="unchanged",type="assign_label"} 1
leadhook_actions_total{outcome="unchanged",type="assign_owner"} 1
leadhook_actions_total{outcome="unchanged",type="upsert_contact"} 1
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for i, body := range tc.deliveries {
				r := h.postForm(body, nil)
				wantStatus(t, r, 200)
				labels := 0
				for _, a := range r.JSON["actions"].([]any) {
					if a.(map[string]any)["type"] == "assign_label" {
						labels++
					}
				}
				if labels != 2 {
					t.Errorf("delivery %d: the answer lists %d assign_label actions, want both rules' 2: %s", i, labels, r.Raw)
				}
			}
			want := "# HELP leadhook_actions_total Executed actions by type and outcome.\n# TYPE leadhook_actions_total counter" + tc.want
			if err := testutil.GatherAndCompare(h.metrics.Registry, strings.NewReader(want), "leadhook_actions_total"); err != nil {
				t.Error(err)
			}
		})
	}
}
