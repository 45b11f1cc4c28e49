package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// leadFields are the 13 fields of the benchmark lead, in body order. The
// values make a hot lead under rules.example.yaml: business email (20),
// budget >= 10000 (40), company_size >= 50 (15), "pricing" in the message
// (25) and a phone (5): score 105.
var leadFields = [][2]string{
	{"email", ""}, // filled per request
	{"name", "Jane Example"},
	{"phone", "+65 8575 8458"},
	{"company", "Acme Industrial Automation Pte Ltd"},
	{"company_size", "80"},
	{"budget", "20000"},
	{"message", "Hello, we are evaluating CRM automation for our sales team of 50 and would like pricing for the team plan, plus a demo next week if possible. We currently use spreadsheets and lose track of inbound enquiries. Thanks, Jane."},
	{"utm_source", "google"},
	{"utm_medium", "cpc"},
	{"utm_campaign", "q4-crm-automation"},
	{"page", "https://www.example.com/pricing?plan=team&billing=annual&ref=hero-cta"},
	{"country", "SG"},
	{"consent", "yes"},
}

// leadEmail is the email of lead n: distinct per n, on a business domain.
func leadEmail(prefix string, n int) string {
	return prefix + "-" + strconv.Itoa(n) + "@acme-industrial.example"
}

// jsonLead is the one-line JSON body of lead email.
func jsonLead(email string) []byte { return taggedJSONLead(email, "") }

// fieldValue is field f's value in the lead of email: tag, when not
// empty, is added to the page URL (a distinct delivery, the same contact
// data).
func fieldValue(f [2]string, email, tag string) string {
	switch {
	case f[0] == "email":
		return email
	case f[0] == "page" && tag != "":
		return f[1] + "&delivery=" + tag
	}
	return f[1]
}

// taggedJSONLead is jsonLead with tag in the page URL (see fieldValue).
func taggedJSONLead(email, tag string) []byte {
	b := make([]byte, 0, 640)
	b = append(b, '{')
	for i, f := range leadFields {
		if i > 0 {
			b = append(b, ',')
		}
		v := fieldValue(f, email, tag)
		b = strconv.AppendQuote(b, f[0])
		b = append(b, ':')
		b = strconv.AppendQuote(b, v)
	}
	return append(b, '}')
}

// formLead is the same lead as application/x-www-form-urlencoded.
func formLead(email string) []byte { return taggedFormLead(email, "") }

func taggedFormLead(email, tag string) []byte {
	b := make([]byte, 0, 700)
	for i, f := range leadFields {
		if i > 0 {
			b = append(b, '&')
		}
		v := fieldValue(f, email, tag)
		b = append(b, url.QueryEscape(f[0])...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(v)...)
	}
	return b
}

// signature is the X-Signature value leadhook's hmac-sha256 verifier
// expects for body (prefix sha256=, hex digest).
func signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// encoding says how a scenario's body is encoded.
type encoding string

const (
	encJSON encoding = "json"
	encForm encoding = "form"
)

func (e encoding) contentType() string {
	if e == encForm {
		return "application/x-www-form-urlencoded"
	}
	return "application/json"
}

func (e encoding) body(email string) []byte { return e.tagged(email, "") }

// tagged is the body of lead email with tag in its page URL.
func (e encoding) tagged(email, tag string) []byte {
	if e == encForm {
		return taggedFormLead(email, tag)
	}
	return taggedJSONLead(email, tag)
}

// sentinel is the lead number splitBody splits the body around; its
// digits survive form encoding unchanged.
const sentinel = 987654321

// splitBody returns the body of lead sentinel split around the number, so
// that a load script builds lead n's body as pre + n + post.
func (e encoding) splitBody(prefix string) (pre, post string, err error) {
	return e.split(e.body(leadEmail(prefix, sentinel)))
}

// splitTagged splits the body of email tagged sentinel (see tagged).
func (e encoding) splitTagged(email string) (pre, post string, err error) {
	return e.split(e.tagged(email, strconv.Itoa(sentinel)))
}

func (e encoding) split(body []byte) (pre, post string, err error) {
	b := string(body)
	mark := strconv.Itoa(sentinel)
	i := strings.Index(b, mark)
	if i < 0 || strings.Count(b, mark) != 1 {
		return "", "", fmt.Errorf("lead number %s not found once in the %s body", mark, e)
	}
	return b[:i], b[i+len(mark):], nil
}
