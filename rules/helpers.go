package rules

import (
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadhook/leadhook/internal/digits"
)

// Helper documents one function available in expressions. The reference
// (docs/rules-reference.md) is generated from Helpers and its examples are
// run by the tests.
type Helper struct {
	Name      string
	Signature string
	Doc       string
	// Example is an expression run against ExampleEnv; Result is the
	// result printed with %v.
	Example string
	Result  string
	fn      func(...any) (any, error)
	types   []any
}

// Helpers returns the helper functions registered for expressions, sorted
// by name (expr's own built-ins, e.g. lower, upper, trim, split, len,
// any, all, also work; now() is disabled to keep evaluation deterministic).
func Helpers() []Helper {
	out := helpers()
	for i := range out {
		out[i].fn, out[i].types = nil, nil
	}
	return out
}

func helpers() []Helper {
	return []Helper{
		{Name: "coalesce", Signature: "coalesce(a string, b string [, c string]) string",
			Doc:     "The first argument that is not blank (\"\" when all are). Note that `a ?? b` does not do this for strings: an empty string is not nil.",
			Example: `coalesce(event.company, domain(event.email))`, Result: "acme.io",
			fn: hCoalesce, types: []any{new(func(string, string) string), new(func(string, string, string) string)}},
		{Name: "contains_any", Signature: "contains_any(text string, words []string) bool",
			Doc:     "Whether text contains any of the words, ignoring case.",
			Example: `contains_any(event.mail.subject, ["pricing", "quote", "demo"])`, Result: "true",
			fn: hContainsAny, types: []any{new(func(string, []any) bool), new(func(string, []string) bool)}},
		{Name: "days_between", Signature: "days_between(from time, to time) float",
			Doc:     "Days from one time to another (negative when to is earlier). Use event.received_at for \"now\".",
			Example: `days_between(contact.created_at, event.received_at)`, Result: "30",
			fn: hDaysBetween, types: []any{new(func(time.Time, time.Time) float64)}},
		{Name: "digits", Signature: "digits(text string) string",
			Doc:     "Only the digits of text (for comparing phone numbers).",
			Example: `digits(event.phone)`, Result: "6585758458",
			fn: unary(digits.Of), types: []any{new(func(string) string)}},
		{Name: "domain", Signature: "domain(email string) string",
			Doc:     "The lowercased domain of an email address, \"\" when there is none.",
			Example: `domain(event.email)`, Result: "acme.io",
			fn: unary(domainOf), types: []any{new(func(string) string)}},
		{Name: "email_valid", Signature: "email_valid(email string) bool",
			Doc:     "Whether email looks like a deliverable address (local@domain.tld, no spaces).",
			Example: `email_valid("jane@@acme")`, Result: "false",
			fn: unary(emailValid), types: []any{new(func(string) bool)}},
		{Name: "field", Signature: "field(name string) string | field(fields map, name string) string",
			Doc:     "The form field event.fields[name] as a string (numbers formatted, lists joined with \", \"), \"\" when missing. The name matches exactly first, else ignoring case (field(\"budget\") finds Webflow's Budget).",
			Example: `field("budget")`, Result: "12000",
			fn: hField, types: []any{new(func(map[string]any, string) string)}},
		{Name: "first_name", Signature: "first_name(name string) string",
			Doc:     "The first word of a full name.",
			Example: `first_name(event.name)`, Result: "Jane",
			fn: unary(firstName), types: []any{new(func(string) string)}},
		{Name: "has", Signature: "has(name string) bool | has(fields map, name string) bool",
			Doc:     "Whether the form field event.fields[name] is present and not empty (name matched like field: exactly first, else ignoring case).",
			Example: `has("budget") && !has("coupon")`, Result: "true",
			fn: hHas, types: []any{new(func(map[string]any, string) bool)}},
		{Name: "is_disposable_email", Signature: "is_disposable_email(email string) bool",
			Doc:     "Whether the address is at a disposable (throwaway) mail service or a subdomain of one (list shipped in rules/disposable.txt, from the disposable-email-domains blocklist). A browser source can refuse them outright with `disposable_email: refuse`.",
			Example: `is_disposable_email("bot@mailinator.com")`, Result: "true",
			fn: unary(IsDisposableEmail), types: []any{new(func(string) bool)}},
		{Name: "is_free_email", Signature: "is_free_email(email string) bool",
			Doc:     "Whether the address is at a free or disposable mail provider (gmail.com, outlook.com, ...; list shipped in rules/freemail.txt).",
			Example: `is_free_email("sam@Gmail.com")`, Result: "true",
			fn: unary(isFreeEmail), types: []any{new(func(string) bool)}},
		{Name: "is_role_email", Signature: "is_role_email(email string) bool",
			Doc:     "Whether the address names a function, not a person (info@, sales@, support@, hello@, ...; a +tag is ignored).",
			Example: `is_role_email("Sales+web@acme.io")`, Result: "true",
			fn: unary(IsRoleEmail), types: []any{new(func(string) bool)}},
		{Name: "number", Signature: "number(value any) float",
			Doc:     "A number from a form value: \"$12,000\", \"12k\", \"1.5m\", 42 all work; 0 when there is no number.",
			Example: `number(field("budget")) >= 10000`, Result: "true",
			fn: hNumber, types: []any{new(func(any) float64)}},
		{Name: "words", Signature: "words(text string) []string",
			Doc:     "The lowercased words of text (letters and digits).",
			Example: `"pricing" in words(event.mail.subject)`, Result: "true",
			fn: hWords, types: []any{new(func(string) []string)}},
	}
}

// argString returns a[i] as a string: a form field typed `any` at compile
// time may hold something else at run time.
func argString(a []any, i int) (string, error) {
	switch v := a[i].(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("argument %d: expected a string, got %s", i+1, valueKind(a[i]))
}

// unary makes a helper of a function of one string (the argument read by
// argString).
func unary[T string | bool](f func(string) T) func(...any) (any, error) {
	return func(a ...any) (any, error) {
		s, err := argString(a, 0)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func domainOf(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(strings.TrimRight(email[i+1:], ">. ")))
}

//go:embed freemail.txt
var freemailText string

// freemail parses freemail.txt once; the resulting set is never modified.
var freemail = sync.OnceValue(func() map[string]struct{} {
	m := map[string]struct{}{}
	for line := range strings.Lines(freemailText) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = struct{}{}
	}
	return m
})

func isFreeEmail(email string) bool {
	_, ok := freemail()[domainOf(email)]
	return ok
}

// FreeEmailDomains returns the number of free-mail domains shipped.
func FreeEmailDomains() int { return len(freemail()) }

func emailValid(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || len(email) > 254 {
		return false
	}
	if strings.ContainsAny(email, " \t\r\n<>(),;:\"[]\\") || strings.Count(email, "@") != 1 {
		return false
	}
	d := email[at+1:]
	dot := strings.LastIndexByte(d, '.')
	return dot > 0 && dot < len(d)-2 && !strings.Contains(d, "..") && d[0] != '-'
}

func firstName(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func hContainsAny(a ...any) (any, error) {
	text, err := argString(a, 0)
	if err != nil {
		return nil, err
	}
	text = strings.ToLower(text)
	switch ws := a[1].(type) {
	case []string:
		for _, w := range ws {
			if w != "" && strings.Contains(text, strings.ToLower(w)) {
				return true, nil
			}
		}
	case []any:
		for _, w := range ws {
			s, ok := w.(string)
			if !ok {
				return nil, fmt.Errorf("contains_any: word %v is not a string", w)
			}
			if s != "" && strings.Contains(text, strings.ToLower(s)) {
				return true, nil
			}
		}
	}
	return false, nil
}

func hCoalesce(a ...any) (any, error) {
	for _, v := range a {
		if s, _ := v.(string); strings.TrimSpace(s) != "" {
			return v, nil
		}
	}
	return "", nil
}

func hDaysBetween(a ...any) (any, error) {
	from, ok1 := a[0].(time.Time)
	to, ok2 := a[1].(time.Time)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("days_between: expected two times, got %s and %s", valueKind(a[0]), valueKind(a[1]))
	}
	return to.Sub(from).Hours() / 24, nil
}

func hWords(a ...any) (any, error) {
	s, err := argString(a, 0)
	if err != nil {
		return nil, err
	}
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), nil
}

func hHas(a ...any) (any, error) {
	m, _ := a[0].(map[string]any)
	name, err := argString(a, 1)
	if err != nil {
		return nil, err
	}
	v, ok := lookupField(m, name)
	if !ok || v == nil {
		return false, nil
	}
	return strings.TrimSpace(ValueText(v)) != "", nil
}

func hField(a ...any) (any, error) {
	m, _ := a[0].(map[string]any)
	name, err := argString(a, 1)
	if err != nil {
		return nil, err
	}
	v, _ := lookupField(m, name)
	if _, ok := v.(string); ok {
		return v, nil // already boxed: no allocation
	}
	return ValueText(v), nil
}

// lookupField finds the form field name: the exact key first, else the key
// equal to name ignoring case (the one that sorts first when several are,
// so the answer never depends on map order).
func lookupField(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	best, found := "", false
	for k := range m {
		if strings.EqualFold(k, name) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return nil, false
	}
	return m[best], true
}

// ValueText renders a form or JSON value as text, as the field helper
// reads it: nil is "", numbers as written (no exponent), lists joined with
// ", ". The webhook parsers read provider payloads with it too.
func ValueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = ValueText(e)
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	}
	return fmt.Sprint(v)
}

func hNumber(a ...any) (any, error) {
	if f, ok := numberValue(a[0]); ok {
		return f, nil
	}
	if _, ok := a[0].(bool); ok {
		return 0.0, nil
	}
	return parseNumber(ValueText(a[0])), nil
}

// suffix is the first letter of rest after spaces, lowercased as
// strings.ToLower would (0 when there is none); ASCII without allocating.
func suffix(rest string) rune {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return 0
	}
	if rest[0] < utf8.RuneSelf {
		return unicode.ToLower(rune(rest[0]))
	}
	r, _ := utf8.DecodeRuneInString(strings.ToLower(rest))
	return r
}

// parseNumber reads the first number in s, allowing thousands separators
// and a k/m suffix ("$12,000" -> 12000, "12k" -> 12000).
func parseNumber(s string) float64 {
	start := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if start < 0 {
		return 0
	}
	neg := start > 0 && s[start-1] == '-'
	end := start
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ',' || s[end] == '.') {
		end++
	}
	num := s[start:end]
	if strings.IndexByte(num, ',') >= 0 {
		// Without the separators, in a buffer on the stack when it fits.
		var buf [32]byte
		b := buf[:0]
		for i := 0; i < len(num); i++ {
			if num[i] != ',' {
				b = append(b, num[i])
			}
		}
		num = string(b)
	}
	v, err := strconv.ParseFloat(strings.TrimRight(num, "."), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0
	}
	switch suffix(s[end:]) {
	case 'k':
		v *= 1e3
	case 'm':
		v *= 1e6
	}
	if neg {
		v = -v
	}
	return v
}
