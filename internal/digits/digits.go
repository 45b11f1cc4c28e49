// Package digits keeps the digits of a text: phone numbers are compared by
// them, in the rules (the digits helper, the contact key) and when the
// engine diffs a contact.
package digits

// Of returns only the ASCII digits of s. It reads bytes, not runes: no
// byte of a multi-byte UTF-8 sequence (nor of an invalid one) is an
// ASCII digit. A text of digits only is returned as it is, any other is
// copied once at its final size (the number of digits is counted first).
func Of(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	switch n {
	case 0:
		return ""
	case len(s):
		return s
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
