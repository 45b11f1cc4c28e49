package engine

import (
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

// TestAppendLower: appendLower is strings.ToLower, ASCII or not.
func TestAppendLower(t *testing.T) {
	tests := []struct{ name, in string }{
		{name: "empty", in: ""},
		{name: "ascii", in: "Hot Lead"},
		{name: "already lower", in: "hot-lead_2"},
		{name: "non-ascii", in: "Élan ÜBER"},
		{name: "longer than the stack buffer", in: strings.Repeat("Label ", 20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := string(appendLower(nil, tc.in)), strings.ToLower(tc.in); got != want {
				t.Errorf("appendLower(%q) = %q, want %q", tc.in, got, want)
			}
		})
	}
}

// TestLabelCacheGet: names are case-insensitive, and a lookup by a
// rule's ASCII name allocates nothing.
func TestLabelCacheGet(t *testing.T) {
	var c labelCache
	c.put("Hot Lead", 7)
	c.put("Élan", 8)
	tests := []struct {
		name, label string
		id          deskera.ID
		ok          bool
	}{
		{name: "as put", label: "Hot Lead", id: 7, ok: true},
		{name: "other case", label: "HOT lead", id: 7, ok: true},
		{name: "non-ascii", label: "éLAN", id: 8, ok: true},
		{name: "unknown", label: "Cold", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if id, ok := c.get(tc.label); id != tc.id || ok != tc.ok {
				t.Errorf("get(%q) = %d, %v; want %d, %v", tc.label, id, ok, tc.id, tc.ok)
			}
		})
	}
	if n := testing.AllocsPerRun(10, func() { c.get("Hot Lead") }); n != 0 {
		t.Errorf("get allocates %v times, want 0", n)
	}
}
