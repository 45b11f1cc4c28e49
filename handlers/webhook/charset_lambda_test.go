//go:build leadhook.lambda

package webhook

import "testing"

// TestLookupCharsetLambda: the Lambda build's lookup resolves charmap's
// charsets under their usual labels and the WHATWG aliases, and refuses
// the CJK ones it leaves out.
func TestLookupCharsetLambda(t *testing.T) {
	for _, tc := range []struct{ label, in, want string }{
		{"ISO-8859-1", "Gr\xfc\xdfe", "Grüße"},
		{"latin1", "\x80", "€"}, // windows-1252, as htmlindex has it
		{"iso-8859-2", "\xb3\xf3d\xbc", "łódź"},
		{"Windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"},
		{"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
	} {
		if got := decodeCharset(tc.in, tc.label); got != tc.want {
			t.Errorf("decodeCharset(%q, %q) = %q, want %q", tc.in, tc.label, got, tc.want)
		}
	}
	if _, err := lookupCharset("shift_jis"); err == nil {
		t.Error("lookupCharset(shift_jis): no error, want one (not in the Lambda build)")
	}
}
