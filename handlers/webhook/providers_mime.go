package webhook

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// provMaxMIMEDepth bounds nested multiparts in a raw message.
const provMaxMIMEDepth = 8

// provParseMIME parses a raw RFC 5322 message into mail: headers, subject,
// addresses, the first text/plain and text/html parts, and the number of
// attachments (never their content).
func provParseMIME(raw []byte, m *rules.Mail) error {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	m.Headers = make(map[string]string, len(msg.Header))
	for k, v := range msg.Header {
		if len(v) > 0 {
			m.Headers[k] = decodeHeader(v[0])
		}
	}
	if m.Subject == "" {
		m.Subject = decodeHeader(msg.Header.Get("Subject"))
	}
	if m.From == "" {
		m.From, m.FromName = provSplitAddress(decodeHeader(msg.Header.Get("From")))
	}
	if len(m.To) == 0 {
		m.To = provAddressList(msg.Header.Get("To"))
	}
	if len(m.Cc) == 0 {
		m.Cc = provAddressList(msg.Header.Get("Cc"))
	}
	if m.MessageID == "" {
		m.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	}
	return provWalkPart(provHeader(msg.Header), msg.Body, m, 0)
}

// provMIMEInto parses raw, the whole message a provider sent in field,
// into m (provParseMIME); none is no change, a bad one a 400 naming field.
func provMIMEInto(field string, raw []byte, m *rules.Mail) error {
	if len(raw) == 0 {
		return nil
	}
	if err := provParseMIME(raw, m); err != nil {
		return BadRequest(field, "invalid MIME message: %v", err)
	}
	return nil
}

// provFrom sets m's sender from a provider's from field (address and
// name), else, when neither it nor the raw message gave one, from the
// envelope sender.
func provFrom(m *rules.Mail, from, envelope string) {
	if from != "" {
		m.From, m.FromName = provSplitAddress(from)
	} else if m.From == "" {
		m.From = provEmail(envelope)
	}
}

// provOverride sets *dst to a provider's field s over what the raw
// message said, unless s is empty.
func provOverride(dst *string, s string) {
	if s != "" {
		*dst = s
	}
}

// provOverrideList sets *dst to the addresses in s, unless it holds none.
func provOverrideList(dst *[]string, s string) {
	if l := provAddressList(s); len(l) > 0 {
		*dst = l
	}
}

// provKeepHeader adds header name unless m has it already: the first
// value wins.
func provKeepHeader(m *rules.Mail, name, value string) {
	if _, dup := m.Headers[name]; !dup {
		m.Headers[name] = value
	}
}

// mailLead finishes an email event: encoded words a provider left in
// the subject or the sender's name are decoded, and the lead is the
// sender. A sender that is given (rawFrom) but holds no address is a 400
// naming "from", as a non-address email field is for forms.
func mailLead(ev *rules.Event, rawFrom string) error {
	m := &ev.Mail
	m.Subject, m.FromName = decodeHeader(m.Subject), decodeHeader(m.FromName)
	if m.From == "" && strings.TrimSpace(rawFrom) != "" {
		return BadRequest("from", "%q is not an email address", rawFrom)
	}
	ev.Email, ev.Name = m.From, m.FromName
	return nil
}

// provHeader adapts mail.Header to the part-header accessor used below.
type provHeader map[string][]string

func (h provHeader) get(k string) string { return mail.Header(h).Get(k) }

func provWalkPart(h provHeader, body io.Reader, m *rules.Mail, depth int) error {
	if depth > provMaxMIMEDepth {
		return errors.New("mime parts nested too deep")
	}
	ct := h.get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		return provWalkMultipart(body, params["boundary"], m, depth)
	}
	disp, _, _ := mime.ParseMediaType(h.get("Content-Disposition"))
	isText := mt == "text/plain" || mt == "text/html"
	if disp == "attachment" || !isText || (mt == "text/plain" && m.Text != "") || (mt == "text/html" && m.HTML != "") {
		m.Attachments++
		return nil
	}
	b, err := io.ReadAll(provTransferDecoder(h.get("Content-Transfer-Encoding"), body))
	if err != nil {
		return err
	}
	s := decodeCharset(string(b), params["charset"])
	if mt == "text/html" {
		m.HTML = s
	} else {
		m.Text = s
	}
	return nil
}

func provWalkMultipart(body io.Reader, boundary string, m *rules.Mail, depth int) error {
	if boundary == "" {
		return errors.New("multipart part without a boundary")
	}
	r := multipart.NewReader(body, boundary)
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := provWalkPart(provHeader(p.Header), p, m, depth+1); err != nil {
			return err
		}
	}
}

func provTransferDecoder(enc string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, provStripSpace{r})
	default:
		return r
	}
}

// provStripSpace drops CR, LF, spaces and tabs (line-wrapped base64).
type provStripSpace struct{ r io.Reader }

func (s provStripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
