package digits

import (
	"strings"
	"testing"
)

// ofRunes is the rune-by-rune definition Of must agree with.
func ofRunes(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"+65 8575 8458", "6585758458"},
		{"6585758458", "6585758458"},
		{"no digits", ""},
		{"٣٤ 12", "12"},      // Arabic-Indic digits are not ASCII digits
		{"\xff1\xc32", "12"}, // invalid UTF-8 around digits
		{"(0) 12-34", "01234"},
	} {
		if got := Of(tc.in); got != tc.want {
			t.Errorf("Of(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzOf(f *testing.F) {
	for _, s := range []string{"", "+65 8575 8458", "٣٤ 12", "\xff1\xc32"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Of(s), ofRunes(s); got != want {
			t.Fatalf("Of(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestOfAllocs: a phone number costs one allocation (the digits), a text
// of digits only none.
func TestOfAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Of("+65 8575 8458") }); n != 1 {
		t.Errorf("Of of a formatted phone number: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Of("6585758458") }); n != 0 {
		t.Errorf("Of of digits only: %v allocations, want 0", n)
	}
}
