package webhook

import (
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"unicode"

	"github.com/leadhook/leadhook/rules"
)

// Field-name aliases, compared after canonicalKey (lowercase letters and
// digits only), so "E-mail", "email_address" and "Your Email" all match.
var (
	emailKeys = []string{"email", "emailaddress", "mail", "youremail", "contactemail", "workemail", "businessemail"}
	nameKeys  = []string{"name", "fullname", "yourname", "contactname"}
	firstKeys = []string{"firstname", "fname", "givenname", "first"}
	lastKeys  = []string{"lastname", "lname", "surname", "familyname", "last"}
	phoneKeys = []string{"phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "mobilenumber", "cell", "yourphone"}
	// companyKeys are the (folded) field names that mean the company's
	// name, for both normalisers. Only names: "Company size", "Company
	// type", "Business type" and the like are answers about the company,
	// not its name, and never map to organization_name.
	companyKeys = []string{"company", "companyname", "yourcompany", "yourcompanyname", "organization", "organisation",
		"organizationname", "organisationname", "yourorganization", "yourorganisation", "org", "orgname",
		"businessname", "employer"}
)

// nestedKeys are the object fields searched (after the top level) for a
// lead's email, name, phone and company in JSON payloads.
var nestedKeys = []string{"data", "contact", "lead", "fields", "form", "customer", "person", "user"}

// sensitive header and query names are never copied into events.
var sensitiveWords = []string{"authorization", "cookie", "signature", "token", "secret", "password", "key"}

func canonicalKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// folded maps canonical keys to the non-empty text values of a field set;
// when two keys fold alike the one that sorts first wins, so the result
// does not depend on map order.
type folded map[string]string

func fold(fields map[string]any) folded {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(folded, len(keys))
	for _, k := range keys {
		ck := canonicalKey(k)
		if _, seen := out[ck]; seen {
			continue
		}
		if s := strings.TrimSpace(stringOf(fields[k])); s != "" {
			out[ck] = s
		}
	}
	return out
}

// lookup returns the value of the first alias present.
func (f folded) lookup(keys []string) string {
	for _, k := range keys {
		if v := f[k]; v != "" {
			return v
		}
	}
	return ""
}

// stringOf renders a scalar (or the first element of a list) as text.
func stringOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []string:
		if len(x) > 0 {
			return x[0]
		}
		return ""
	case []any:
		if len(x) > 0 {
			return stringOf(x[0])
		}
		return ""
	case map[string]any:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// Normalize fills ev.Email, Name, Phone and Company from ev.Fields when
// they are still empty: the email is trimmed and lowercased, "Name
// <addr>" is split into name and address, first and last names are
// joined, the phone is kept as given. An email field that holds no
// address is a 400 naming the field.
func Normalize(ev *rules.Event) error {
	scopes := []map[string]any{ev.Fields}
	for _, k := range nestedKeys {
		if m, ok := ev.Fields[k].(map[string]any); ok {
			scopes = append(scopes, m)
		}
	}
	for _, f := range scopes {
		fillFrom(ev, f)
	}
	if ev.Email == "" {
		return nil
	}
	name, addr, err := SplitAddress(ev.Email)
	if err != nil {
		return BadRequest("email", "%q is not an email address", ev.Email)
	}
	ev.Email = addr
	if ev.Name == "" {
		ev.Name = name
	}
	return nil
}

func fillFrom(ev *rules.Event, fields map[string]any) {
	f := fold(fields)
	if ev.Email == "" {
		ev.Email = f.lookup(emailKeys)
	}
	if ev.Name == "" {
		ev.Name = f.lookup(nameKeys)
	}
	if ev.Name == "" {
		ev.Name = strings.TrimSpace(f.lookup(firstKeys) + " " + f.lookup(lastKeys))
	}
	if ev.Phone == "" {
		ev.Phone = f.lookup(phoneKeys)
	}
	if ev.Company == "" {
		ev.Company = f.lookup(companyKeys)
	}
}

// SplitAddress parses "jane@example.com" or "Jane Doe <Jane@Example.com>"
// into the display name and the lowercased, trimmed address.
func SplitAddress(s string) (name, addr string, err error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", "", fmt.Errorf("parse address %q: %w", s, err)
	}
	return strings.TrimSpace(a.Name), strings.ToLower(strings.TrimSpace(a.Address)), nil
}

// NewEvent starts an event for req: source, kind, time, and the headers
// and query parameters that are safe to show to rules (lowercased keys;
// credentials, signatures and tokens left out).
func NewEvent(req *Request, source, kind string) rules.Event {
	ev := rules.Event{
		Source:     source,
		Kind:       kind,
		ReceivedAt: req.ReceivedAt,
		Headers:    map[string]string{},
		Query:      map[string]string{},
		Fields:     map[string]any{},
	}
	for k, vs := range req.Header {
		if lk := strings.ToLower(k); !isSensitive(lk) && len(vs) > 0 {
			ev.Headers[lk] = strings.Join(vs, ", ")
		}
	}
	for k, vs := range req.Query {
		if !isSensitive(strings.ToLower(k)) && len(vs) > 0 {
			ev.Query[k] = vs[0]
		}
	}
	return ev
}

func isSensitive(name string) bool {
	for _, w := range sensitiveWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}
