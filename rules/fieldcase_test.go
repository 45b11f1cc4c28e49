package rules_test

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// TestFieldLookupIgnoresCase: field("budget") finds Webflow's Budget; an
// exact match wins over one that differs only in case.
func TestFieldLookupIgnoresCase(t *testing.T) {
	set, err := rules.Load("case.yaml", []byte(`
scores:
  budget: 'number(field("budget"))'
  has_budget: 'has("budget") ? 1 : 0'
rules: []
`), rules.WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		fields    map[string]any
		budget    float64
		hasBudget float64
	}{
		{name: "Exact", fields: map[string]any{"budget": "100"}, budget: 100, hasBudget: 1},
		{name: "WebflowCapitalised", fields: map[string]any{"Budget": "5000"}, budget: 5000, hasBudget: 1},
		{name: "UpperCase", fields: map[string]any{"BUDGET": 7}, budget: 7, hasBudget: 1},
		{name: "ExactWinsOverCaseVariant", fields: map[string]any{"Budget": "1", "budget": "2"}, budget: 2, hasBudget: 1},
		{name: "CaseVariantsSortedFirstWins", fields: map[string]any{"budgeT": "3", "Budget": "4"}, budget: 4, hasBudget: 1},
		{name: "Missing", fields: map[string]any{"budgets": "9"}, budget: 0, hasBudget: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := set.Evaluate(formEvent("jane@acme.io", tc.fields), nil)
			if got := plan.Scores["budget"]; got != tc.budget {
				t.Errorf("field(\"budget\") score = %v, want %v", got, tc.budget)
			}
			if got := plan.Scores["has_budget"]; got != tc.hasBudget {
				t.Errorf("has(\"budget\") score = %v, want %v", got, tc.hasBudget)
			}
		})
	}
}
