package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/leadhook/leadhook/internal/jsontext"
)

// piiKeys are JSON keys of Deskera bodies whose values are personal.
var piiKeys = map[string]bool{"name": true, "phone": true, "address": true, "note": true, "person_names": true, "value": true}

// maskedBody is a call body as JSON with personal values masked: emails
// as in the logs, names, phones, addresses, notes and custom field values
// to their first character. The body is encoded once and masked as it is
// copied (maskJSON), in its own key order; "" when it does not encode.
func maskedBody(body any) string {
	if body == nil {
		return ""
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return ""
	}
	out, err := maskJSON(make([]byte, 0, len(raw)), raw)
	if err != nil {
		return ""
	}
	return string(out)
}

var errBadJSON = errors.New("handlers: malformed JSON")

// maskJSON appends raw (one JSON value, as json.Marshal writes it) to out
// with every string masked by maskString under its nearest object key
// (an array's elements under the array's key) and a number under "phone"
// replaced by "***"; everything else is copied as it is.
func maskJSON(out, raw []byte) ([]byte, error) {
	m := masker{in: raw, out: out}
	if err := m.value(nil); err != nil {
		return nil, err
	}
	if m.skipSpace(); m.i != len(m.in) {
		return nil, errBadJSON
	}
	return m.out, nil
}

// masker walks one JSON text, writing its masked copy.
type masker struct {
	in  []byte
	i   int
	out []byte
}

func (m *masker) skipSpace() {
	for m.i < len(m.in) && (m.in[m.i] == ' ' || m.in[m.i] == '\n' || m.in[m.i] == '\r' || m.in[m.i] == '\t') {
		m.i++
	}
}

func (m *masker) value(key []byte) error {
	if m.skipSpace(); m.i >= len(m.in) {
		return errBadJSON
	}
	switch m.in[m.i] {
	case '{':
		return m.object()
	case '[':
		return m.array(key)
	case '"':
		return m.str(key)
	}
	return m.scalar(key)
}

// list copies a '{'- or '['-opened list of items up to its closing byte.
func (m *masker) list(closing byte, item func() error) error {
	m.out = append(m.out, m.in[m.i])
	m.i++
	if m.skipSpace(); m.i < len(m.in) && m.in[m.i] == closing {
		m.out = append(m.out, closing)
		m.i++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if m.skipSpace(); m.i >= len(m.in) {
			return errBadJSON
		}
		switch c := m.in[m.i]; c {
		case ',':
		case closing:
			m.out = append(m.out, c)
			m.i++
			return nil
		default:
			return errBadJSON
		}
		m.out = append(m.out, ',')
		m.i++
	}
}

func (m *masker) object() error {
	return m.list('}', func() error {
		if m.skipSpace(); m.i >= len(m.in) || m.in[m.i] != '"' {
			return errBadJSON
		}
		raw, key, err := m.token()
		if err != nil {
			return err
		}
		m.out = append(m.out, raw...)
		if m.skipSpace(); m.i >= len(m.in) || m.in[m.i] != ':' {
			return errBadJSON
		}
		m.out = append(m.out, ':')
		m.i++
		return m.value(key)
	})
}

func (m *masker) array(key []byte) error {
	return m.list(']', func() error { return m.value(key) })
}

// token reads the string at m.i: its JSON text and its value (a slice
// of the text when it has no escapes).
func (m *masker) token() (raw, s []byte, err error) {
	start, escaped := m.i, false
	for m.i++; m.i < len(m.in); m.i++ {
		switch m.in[m.i] {
		case '\\':
			escaped = true
			m.i++
		case '"':
			m.i++
			raw = m.in[start:m.i]
			if !escaped {
				return raw, raw[1 : len(raw)-1], nil
			}
			var v string
			err = json.Unmarshal(raw, &v)
			return raw, []byte(v), err
		}
	}
	return nil, nil, errBadJSON
}

// str copies the string at m.i, masked for key. Most values (no
// address, not personal) are copied without being decoded; an email
// (as MaskEmail masks it) and a personal value (to its first character)
// are masked straight into the output, without a string or an encoding
// of their own.
func (m *masker) str(key []byte) error {
	raw, v, err := m.token()
	if err != nil {
		return err
	}
	switch {
	case len(v) == 0: // "" masks to itself
		m.out = append(m.out, raw...)
	case string(key) == "email": // MaskEmail
		local, domain, ok := bytes.Cut(v, []byte("@"))
		m.out = append(m.out, '"')
		if !ok || len(local) == 0 {
			m.out = append(m.out, "***"...)
		} else {
			m.out = jsontext.AppendEscaped(m.out, local[:1])
			m.out = append(m.out, "***@"...)
			m.out = jsontext.AppendEscaped(m.out, domain)
		}
		m.out = append(m.out, '"')
	case piiKeys[string(key)]: // the first character
		_, n := utf8.DecodeRune(v)
		m.out = append(m.out, '"')
		m.out = jsontext.AppendEscaped(m.out, v[:n])
		m.out = append(m.out, `***"`...)
	case bytes.IndexByte(v, '@') < 0:
		m.out = append(m.out, raw...)
	default: // addresses inside other text
		s := string(v)
		if masked := MaskEmails(s); masked != s {
			m.out = append(m.out, '"')
			m.out = jsontext.AppendEscaped(m.out, masked)
			m.out = append(m.out, '"')
		} else {
			m.out = append(m.out, raw...)
		}
	}
	return nil
}

// scalar copies a number, true, false or null (a phone number masked).
func (m *masker) scalar(key []byte) error {
	start := m.i
	for m.i < len(m.in) && m.in[m.i] != ',' && m.in[m.i] != '}' && m.in[m.i] != ']' && m.in[m.i] != ' ' && m.in[m.i] != '\n' && m.in[m.i] != '\r' && m.in[m.i] != '\t' {
		m.i++
	}
	tok := m.in[start:m.i]
	if !isScalar(tok) {
		return errBadJSON
	}
	if string(key) == "phone" && (tok[0] == '-' || tok[0] >= '0' && tok[0] <= '9') {
		m.out = append(m.out, `"***"`...)
		return nil
	}
	m.out = append(m.out, tok...)
	return nil
}

// isScalar reports whether tok is a JSON number, true, false or null.
func isScalar(tok []byte) bool {
	switch string(tok) {
	case "true", "false", "null":
		return true
	}
	return len(tok) > 0 && (tok[0] == '-' || tok[0] >= '0' && tok[0] <= '9') && json.Valid(tok)
}
