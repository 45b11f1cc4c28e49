package webhook

import (
	"bytes"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadhook/leadhook/rules"
)

// The one "fields -> lead" normaliser: every format (json, form,
// typeform, tally, jotform, webflow, cloudevents, deskera) fills the
// event's email, name, phone and company with Normalize, from one alias
// table and one precedence rule.
//
// A field name is folded before matching (lowercase letters and digits
// only), so "E-mail", "email_address" and "Your Email" all match. For
// each attribute the candidates are ranked, and the first wins:
//  1. an exact alias, earlier in its list before later;
//  2. then a fallback: a name containing "email" (whose value holds an
//     "@"), containing "phone" (whose value holds a digit), or ending in
//     "company"/"companyname" without naming a company detail ("Company
//     size" is an answer about the company, never its name);
//  3. ties (two keys folding alike, "Email" and "email") go to the key
//     that sorts first: folded name, then the key as sent, byte order.
//
// So the result never depends on map order. Empty values are no
// candidates. The top level is searched first, then the objects under
// nestedKeys; each scope only fills what is still empty.

// attr is a lead attribute a field name can mean.
type attr uint8

const (
	attrEmail attr = iota
	attrName
	attrFirst
	attrLast
	attrPhone
	attrCompany
	numAttrs
)

// aliasLists are the folded field names per attribute, best first.
var aliasLists = [numAttrs][]string{
	attrEmail: {"email", "emailaddress", "mail", "youremail", "contactemail", "workemail", "businessemail"},
	attrName:  {"name", "fullname", "yourname", "contactname"},
	attrFirst: {"firstname", "fname", "givenname", "first"},
	attrLast:  {"lastname", "lname", "surname", "familyname", "last"},
	attrPhone: {"phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "mobilenumber", "cell", "yourphone"},
	// Only names: "Company size", "Company type", "Business type" and the
	// like are answers about the company, never organization_name.
	attrCompany: {"company", "companyname", "yourcompany", "yourcompanyname", "organization", "organisation",
		"organizationname", "organisationname", "yourorganization", "yourorganisation", "org", "orgname",
		"businessname", "employer"},
}

// alias is where a folded name stands in aliasLists.
type alias struct {
	attr attr
	rank int
}

// aliases indexes aliasLists by folded name.
var aliases = func() map[string]alias {
	m := map[string]alias{}
	for a, list := range aliasLists {
		for i, k := range list {
			m[k] = alias{attr: attr(a), rank: i}
		}
	}
	return m
}()

// fallbackRank ranks a fallback match after every exact alias.
const fallbackRank = 1 << 20

// companyDetails are words that make a "...company" field a question
// about the company rather than its name ("sizeofcompany").
var companyDetails = []string{"size", "type", "industry", "sector", "website", "url", "domain", "revenue",
	"employees", "headcount", "email", "phone", "address", "country", "city", "role", "stage", "number", "count"}

// nestedKeys are the object fields searched (after the top level) for a
// lead's email, name, phone and company.
var nestedKeys = []string{"data", "contact", "lead", "fields", "form", "customer", "person", "user"}

// sensitive header and query names are never copied into events.
var sensitiveWords = []string{"authorization", "cookie", "signature", "token", "secret", "password", "key"}

// candidate is the best field seen so far for one attribute.
type candidate struct {
	rank   int
	folded string // only kept for fallbacks, whose folded names differ
	key    string
	value  string
}

// better reports whether (rank, folded, key) sorts before c.
func (c *candidate) better(rank int, folded []byte, key string) bool {
	if c.value == "" {
		return true
	}
	if rank != c.rank {
		return rank < c.rank
	}
	if f := string(folded); f != c.folded { // no allocation: compared, not kept
		return f < c.folded
	}
	return key < c.key
}

// scan is one pass over one scope's fields.
type scan [numAttrs]candidate

func (sc *scan) offer(a attr, rank int, folded []byte, key, value string) {
	c := &sc[a]
	if !c.better(rank, folded, key) {
		return
	}
	f := ""
	if rank >= fallbackRank {
		f = string(folded)
	} else {
		f = aliasLists[a][rank]
	}
	*c = candidate{rank: rank, folded: f, key: key, value: value}
}

// scanFields ranks every field of one scope: one pass, no copy of the map.
func scanFields(fields map[string]any) (sc scan) {
	var buf [64]byte
	for k, v := range fields {
		folded := foldKey(buf[:0], k)
		al, exact := aliases[string(folded)]
		if !exact && !bytes.Contains(folded, []byte("email")) && !bytes.Contains(folded, []byte("phone")) &&
			!bytes.HasSuffix(folded, []byte("company")) && !bytes.HasSuffix(folded, []byte("companyname")) {
			continue // the common case: a field that means none of them
		}
		s := strings.TrimSpace(leadText(v))
		if s == "" {
			continue
		}
		if exact {
			sc.offer(al.attr, al.rank, folded, k, s)
			continue
		}
		switch {
		case bytes.Contains(folded, []byte("email")):
			if strings.IndexByte(s, '@') >= 0 {
				sc.offer(attrEmail, fallbackRank, folded, k, s)
			}
		case bytes.Contains(folded, []byte("phone")):
			if strings.ContainsAny(s, "0123456789") {
				sc.offer(attrPhone, fallbackRank, folded, k, s)
			}
		case !companyDetail(folded):
			sc.offer(attrCompany, fallbackRank, folded, k, s)
		}
	}
	return sc
}

func companyDetail(folded []byte) bool {
	for _, w := range companyDetails {
		if bytes.Contains(folded, []byte(w)) {
			return true
		}
	}
	return false
}

// foldKey appends k lowercased, letters and digits only, to dst.
func foldKey(dst []byte, k string) []byte {
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			dst = append(dst, byte(r))
		case r >= 'A' && r <= 'Z':
			dst = append(dst, byte(r)+'a'-'A')
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// leadText renders a field value as the text of a lead attribute: a
// scalar as written, a list by its first element, an object as nothing.
func leadText(v any) string {
	switch x := v.(type) {
	case nil, map[string]any, bool:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []string:
		if len(x) > 0 {
			return x[0]
		}
		return ""
	case []any:
		if len(x) > 0 {
			return leadText(x[0])
		}
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// Normalize fills ev.Email, Name, Phone and Company from ev.Fields when
// they are still empty (a parser may have set them from typed answers):
// the email is trimmed and lowercased, "Name <addr>" is split into name
// and address, first and last names are joined, the phone is kept as
// given. An email that is present but holds no address is a 400 naming
// its field: the delivery itself is wrong, and a lead without its email
// would be created blind.
func Normalize(ev *rules.Event) error {
	if err := normalize(ev); err != nil {
		return err
	}
	return nil
}

func normalize(ev *rules.Event) *Error {
	emailField := "email" // a typed answer the parser set
	if f := fillFrom(ev, ev.Fields); f != "" {
		emailField = f
	}
	for _, k := range nestedKeys {
		if !leadIncomplete(ev) {
			break
		}
		if m, ok := ev.Fields[k].(map[string]any); ok {
			if f := fillFrom(ev, m); f != "" {
				emailField = k + "." + f
			}
		}
	}
	if ev.Email == "" {
		return nil
	}
	name, addr, err := SplitAddress(ev.Email)
	if err != nil || addr == "" {
		return BadRequest(emailField, "%q is not an email address", ev.Email)
	}
	ev.Email = addr
	if ev.Name == "" {
		ev.Name = name
	}
	return nil
}

func leadIncomplete(ev *rules.Event) bool {
	return ev.Email == "" || ev.Name == "" || ev.Phone == "" || ev.Company == ""
}

// fillFrom fills the empty attributes from one scope and returns the key
// the email came from ("" when it was not filled here).
func fillFrom(ev *rules.Event, fields map[string]any) (emailKey string) {
	if len(fields) == 0 {
		return ""
	}
	sc := scanFields(fields)
	if ev.Email == "" && sc[attrEmail].value != "" {
		ev.Email, emailKey = sc[attrEmail].value, sc[attrEmail].key
	}
	if ev.Name == "" {
		ev.Name = sc[attrName].value
	}
	if ev.Name == "" {
		ev.Name = strings.TrimSpace(sc[attrFirst].value + " " + sc[attrLast].value)
	}
	if ev.Phone == "" {
		ev.Phone = sc[attrPhone].value
	}
	if ev.Company == "" {
		ev.Company = sc[attrCompany].value
	}
	return emailKey
}

// SplitAddress parses "jane@example.com" or "Jane Doe <Jane@Example.com>"
// into the display name and the lowercased, trimmed address.
func SplitAddress(s string) (name, addr string, err error) {
	s = strings.TrimSpace(s)
	if plainAddress(s) { // the common case, without net/mail's allocations
		return "", lowerASCII(s), nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", "", fmt.Errorf("parse address %q: %w", s, err)
	}
	return strings.TrimSpace(a.Name), strings.ToLower(strings.TrimSpace(a.Address)), nil
}

// plainAddress reports whether s is a bare ASCII dot-atom address
// (local@domain), which net/mail would accept unchanged.
func plainAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && dotAtom(s[:at], true) && dotAtom(s[at+1:], false)
}

// dotAtom reports whether s is RFC 5322 dot-atom text (for a domain, only
// letters, digits and '-').
func dotAtom(s string, local bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case local && strings.IndexByte("!#$%&'*+/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// lowerASCII lowercases s, allocating only when it has an upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// NewEvent starts an event for req: source, kind, time, and the headers
// and query parameters that are safe to show to rules (lowercased keys;
// credentials, signatures and tokens left out).
func NewEvent(req *Request, source, kind string) rules.Event {
	return newEvent(req, source, kind, map[string]any{})
}

// newEvent is NewEvent with the fields map the parser already has.
func newEvent(req *Request, source, kind string, fields map[string]any) rules.Event {
	ev := rules.Event{
		Source:     source,
		Kind:       kind,
		ReceivedAt: req.ReceivedAt,
		Headers:    make(map[string]string, len(req.Header)),
		Query:      make(map[string]string, len(req.Query)),
		Fields:     fields,
	}
	for k, vs := range req.Header {
		if lk := lowerHeader(k); !isSensitive(lk) && len(vs) > 0 {
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

// commonHeaders are the lowercased names of the headers most deliveries
// carry, so lowering them costs no allocation; the credentials among them
// (Authorization, the signatures) are lowered only to be left out.
var commonHeaders = func() map[string]string {
	m := map[string]string{}
	for _, h := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Content-Length", "Content-Type",
		"Host", "Origin", "Referer", "User-Agent", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
		"X-Real-Ip", "X-Request-Id", "Traceparent", "Connection", "Content-Encoding",
		"Authorization", "X-Signature", "Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Idempotency-Key"} {
		m[h] = strings.ToLower(h)
	}
	return m
}()

func lowerHeader(k string) string {
	if lk, ok := commonHeaders[k]; ok {
		return lk
	}
	return strings.ToLower(k)
}
