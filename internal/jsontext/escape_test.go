package jsontext

import (
	"encoding/json"
	"testing"
)

// TestAppendEscapedIsJSONMarshal: text escaped by AppendEscaped, quoted, is byte for
// byte json.Marshal's string, from a string and from bytes.
func TestAppendEscapedIsJSONMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "<a>&b", "tab\tnl\ncr\r\b\f\x00\x1f\x7f", "É ü 日本", "\u2028x\u2029",
		"bad\xffbyte", "\xe2\x82", "cut\xe2\x82", "\xf0\x9f\x98\x80 emoji", "j"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := append(AppendEscaped([]byte{'"'}, s), '"'); string(got) != string(want) {
			t.Errorf("AppendEscaped(%q) = %s, want %s", s, got, want)
		}
		if got := append(AppendEscaped([]byte{'"'}, []byte(s)), '"'); string(got) != string(want) {
			t.Errorf("AppendEscaped([]byte(%q)) = %s, want %s", s, got, want)
		}
	}
}

// Appending ASCII and multi-byte text allocates nothing beyond dst.
func TestAppendAllocatesNothing(t *testing.T) {
	dst := make([]byte, 0, 256)
	b := []byte("Émile <émile@example.com> \u2028")
	if n := testing.AllocsPerRun(100, func() { _ = AppendEscaped(dst[:0], b) }); n != 0 {
		t.Errorf("AppendEscaped allocates %v times, want 0", n)
	}
}
