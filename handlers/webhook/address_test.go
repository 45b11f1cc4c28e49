package webhook

import (
	"net/mail"
	"strings"
	"testing"
)

// TestPlainAddressAgreesWithNetMail: the fast path takes only addresses
// net/mail accepts unchanged, and SplitAddress answers the same either way.
func TestPlainAddressAgreesWithNetMail(t *testing.T) {
	for _, s := range []string{
		"jane@example.com", "Jane.Doe@Example.COM", "a+tag@x.io", "o'neil@x.io", "a-b@x-y.example",
		"a..b@x.io", ".a@x.io", "a.@x.io", "a@.x", "a@x..io", "a@", "@x.io", "a@b@c", "a b@x.io",
		"Jane <jane@x.io>", `"a b"@x.io`, "a@[192.0.2.1]", "jörg@x.io", "a@x_y.io", "",
	} {
		a, err := mail.ParseAddress(s)
		if plainAddress(s) && (err != nil || a.Address != s || a.Name != "") {
			t.Errorf("plainAddress(%q) but net/mail says %v, %+v", s, err, a)
		}
		name, addr, err2 := SplitAddress(s)
		if (err == nil) != (err2 == nil) || err == nil && (addr != strings.ToLower(a.Address) || name != a.Name) {
			t.Errorf("SplitAddress(%q) = %q, %q, %v; net/mail %+v, %v", s, name, addr, err2, a, err)
		}
	}
}
