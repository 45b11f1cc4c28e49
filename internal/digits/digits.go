// Package digits keeps the digits of a text: phone numbers are compared by
// them, in the rules (the digits helper, the contact key) and when the
// engine diffs a contact.
package digits

import "strings"

// Of returns only the ASCII digits of s.
func Of(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
