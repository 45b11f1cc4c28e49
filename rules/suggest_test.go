package rules

import "testing"

func TestClosest(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		candidates []string
		want       string
	}{
		{"one letter missing", "knd", []string{"id", "kind", "source"}, "kind"},
		{"one letter extra", "teams", []string{"private", "public", "team"}, "team"},
		{"swapped letters", "nmae", []string{"name", "email"}, "name"},
		{"case ignored", "hot LEAD", []string{"Hot lead"}, "Hot lead"},
		{"too far", "Cold lead", []string{"Hot lead"}, ""},
		{"nothing close", "42", []string{"private", "public", "team"}, ""},
		{"nearest wins", "sale", []string{"support", "sales"}, "sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := closest(tt.in, tt.candidates); got != tt.want {
				t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlainTypes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"mismatched", "invalid operation: >= (mismatched types float64 and string)", "invalid operation: >= (mismatched types number and string)"},
		{"any", "expected bool, but got interface {}", "expected bool, but got any"},
		{"struct", "cannot use *rules.Contact as argument (type string)", "cannot use contact as argument (type string)"},
		{"words kept", "must be an integer", "must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainTypes(tt.in); got != tt.want {
				t.Errorf("plainTypes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
