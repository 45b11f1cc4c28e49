package rules

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed disposable.txt
var disposableText string

// disposable parses disposable.txt once; the set is never modified.
var disposable = sync.OnceValue(func() map[string]struct{} {
	m := map[string]struct{}{}
	for line := range strings.Lines(disposableText) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = struct{}{}
		}
	}
	return m
})

// IsDisposableEmail reports whether the address is at a disposable mail
// service (rules/disposable.txt), or a subdomain of one.
func IsDisposableEmail(email string) bool {
	d := domainOf(email)
	set := disposable()
	for d != "" {
		if _, ok := set[d]; ok {
			return true
		}
		_, rest, found := strings.Cut(d, ".")
		if !found || !strings.Contains(rest, ".") {
			return false // stop at the registrable-looking last two labels
		}
		d = rest
	}
	return false
}

// DisposableEmailDomains returns the number of disposable domains shipped.
func DisposableEmailDomains() int { return len(disposable()) }

// roleLocals are local parts that name a function, not a person: mail to
// them reaches whoever reads the shared box.
var roleLocals = map[string]struct{}{
	"admin": {}, "administrator": {}, "billing": {}, "contact": {}, "enquiries": {},
	"hello": {}, "help": {}, "hr": {}, "info": {}, "inquiries": {}, "jobs": {},
	"mail": {}, "marketing": {}, "media": {}, "noreply": {}, "no-reply": {}, "office": {},
	"postmaster": {}, "press": {}, "privacy": {}, "sales": {}, "security": {},
	"service": {}, "support": {}, "team": {}, "webmaster": {},
}

// IsRoleEmail reports whether the address is a role address (info@,
// sales@, support@, ...) rather than a person's; a "+tag" is ignored.
func IsRoleEmail(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return false
	}
	local := strings.ToLower(strings.TrimSpace(email[:at]))
	local, _, _ = strings.Cut(local, "+")
	_, ok := roleLocals[local]
	return ok
}
