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

// TestValueText: how a form or JSON value reads as text, for field() and
// for the webhook parsers.
func TestValueText(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want string
	}{
		{name: "Nil", v: nil, want: ""},
		{name: "String", v: "Jane", want: "Jane"},
		{name: "FloatWithoutExponent", v: 12000000.0, want: "12000000"},
		{name: "Fraction", v: 1.5, want: "1.5"},
		{name: "Bool", v: true, want: "true"},
		{name: "Int", v: 7, want: "7"},
		{name: "AnyList", v: []any{"a", 2.0, nil, []any{"b", "c"}}, want: "a, 2, , b, c"},
		{name: "StringList", v: []string{"x", "y"}, want: "x, y"},
		{name: "Object", v: map[string]any{"k": "v"}, want: "map[k:v]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rules.ValueText(c.v); got != c.want {
				t.Errorf("ValueText(%#v) = %q, want %q", c.v, got, c.want)
			}
		})
	}
}
