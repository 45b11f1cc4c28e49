package rules_test

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

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
