package handlers_test

import (
	"encoding/json"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// A dry run explains every sub-expression (and gives the whole plan) only
// when asked: explaining compiles expressions and costs milliseconds per
// event, and the plain answer stays compact.
func TestDryRunExplainOnRequest(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		explain bool
	}{
		{"PlainDryRun", "?dry_run=1", false},
		{"ExplainRequested", "?dry_run=1&explain=1", true},
		{"ExplainFalse", "?dry_run=1&explain=0", false},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.post("/hooks/api"+tc.query, "application/json", `{"email":"plan@example.com","budget":50000}`,
				map[string]string{"Authorization": "Bearer " + adminToken})
			wantStatus(t, r, 200)
			if r.JSON["calls"] == nil {
				t.Fatalf("dry run without its calls: %s", r.Raw)
			}
			// Compact by default: the plan comes with the explanation.
			if _, got := r.JSON["plan"]; got != tc.explain {
				t.Fatalf("plan present = %v, want %v: %s", got, tc.explain, r.Raw)
			}
			if _, got := r.JSON["explain"]; got != tc.explain {
				t.Fatalf("explain present = %v, want %v: %s", got, tc.explain, r.Raw)
			}
		})
	}
}

// A dry run of a thinner event for a contact with a stored score shows
// both sides (the plan's scoring and the explanation's), and the rules see
// the combined score: the stored 70 keeps big-budget matched.
func TestDryRunShowsStoredAndEventScore(t *testing.T) {
	h := newHarness(t)
	h.deskera.AddContact(deskera.Contact{Name: "Plan", Email: "plan@example.com", LabelID: 4, CustomField: []deskera.CustomField{
		{Label: "Lead score", Value: "70"}, {Label: "Lead score at", Value: "2026-01-15T10:00:00Z"}, {Label: "Lead score parts", Value: "budget=70"}}})
	r := h.post("/hooks/api?dry_run=1&explain=1", "application/json", `{"email":"plan@example.com"}`,
		map[string]string{"Authorization": "Bearer " + adminToken})
	wantStatus(t, r, 200)
	var got struct {
		Score float64 `json:"score"`
		Plan  struct {
			Score   float64        `json:"score"`
			Scoring *rules.Scoring `json:"scoring"`
		} `json:"plan"`
		Explain struct {
			Scoring *rules.Scoring `json:"scoring"`
			Rules   []struct{ Name, Result string }
		} `json:"explain"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &got); err != nil {
		t.Fatal(err)
	}
	sc := got.Plan.Scoring
	if got.Score != 70 || sc == nil || sc.StoredScore != 70 || sc.EventScore != 0 || sc.From != "stored" {
		t.Fatalf("score %v scoring %+v, want 70 from the stored score: %s", got.Score, sc, r.Raw)
	}
	if x := got.Explain.Scoring; x == nil || x.StoredScore != 70 {
		t.Errorf("explain scoring %+v", x)
	}
	for _, rr := range got.Explain.Rules {
		if rr.Name == "big-budget" && rr.Result != "matched" {
			t.Errorf("big-budget explained %q, want matched on the stored score", rr.Result)
		}
	}
}
