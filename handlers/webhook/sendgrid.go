package webhook

import (
	"encoding/json"
	"net/mail"
	"strconv"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// SendGrid Inbound Parse: always multipart/form-data with the parsed
// message (headers, from, to, cc, subject, text, html, spam_score, ...),
// an envelope JSON field and a charsets JSON field naming each field's
// character set; "Send Raw" puts the whole MIME message in email.

var sendgridSkip = map[string]bool{
	"headers": true, "text": true, "html": true, "email": true, "charsets": true,
	"envelope": true, "attachment-info": true, "content-ids": true, "dkim": true, "spam_report": true,
}

type sendgridEnvelope struct {
	To   []string `json:"to"`
	From string   `json:"from"`
}

func parseSendgrid(src rules.Source, req *Request, maxMem int64) (*Parsed, error) {
	form, err := readForm(req, maxMem)
	if err != nil {
		return nil, err
	}
	v := form.values // raw: email is a message with its own charsets
	charsets := map[string]string{}
	if cs := v.Get("charsets"); cs != "" {
		if err := json.Unmarshal([]byte(cs), &charsets); err != nil {
			return nil, BadRequest("charsets", "invalid JSON: %v", err)
		}
	}
	var env sendgridEnvelope
	if e := v.Get("envelope"); e != "" {
		if err := json.Unmarshal([]byte(e), &env); err != nil {
			return nil, BadRequest("envelope", "invalid JSON: %v", err)
		}
	}
	if v.Get("from") == "" && v.Get("email") == "" && env.From == "" {
		return nil, BadRequest("from", "missing: not a SendGrid Inbound Parse delivery")
	}
	declared := func(k string) string { return charsets[k] }
	get := func(k string) string { return form.get(k, declared) }
	ev := NewEvent(req, src.Name, rules.KindEmail)
	ev.Fields = form.fields(sendgridSkip, declared)
	m := &ev.Mail
	if err := provMIMEInto("email", []byte(v.Get("email")), m); err != nil {
		return nil, err
	}
	sendgridHeaders(get("headers"), m)
	sendgridMail(get, env, m)
	if n, err := strconv.Atoi(v.Get("attachments")); err == nil && n > m.Attachments {
		m.Attachments = n
	}
	m.Attachments = max(m.Attachments, form.files)
	if err := mailLead(&ev, provFirstNonEmpty(get("from"), env.From)); err != nil {
		return nil, err
	}
	ev.ID = DeliveryID(m.MessageID)
	return oneEvent(ev, ev.ID), nil
}

func sendgridMail(get func(string) string, env sendgridEnvelope, m *rules.Mail) {
	provFrom(m, get("from"), env.From)
	provOverrideList(&m.To, get("to"))
	if len(m.To) == 0 {
		for _, t := range env.To {
			if a := provEmail(t); a != "" {
				m.To = append(m.To, a)
			}
		}
	}
	provOverrideList(&m.Cc, get("cc"))
	provOverride(&m.Subject, get("subject"))
	provOverride(&m.Text, get("text"))
	provOverride(&m.HTML, get("html"))
	if f, err := strconv.ParseFloat(strings.TrimSpace(get("spam_score")), 64); err == nil {
		m.SpamScore = f
	}
}

// sendgridHeaders parses the raw header block of the headers field.
func sendgridHeaders(raw string, m *rules.Mail) {
	if strings.TrimSpace(raw) == "" {
		return
	}
	raw = strings.TrimRight(strings.ReplaceAll(raw, "\r\n", "\n"), "\n") + "\n\n"
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return
	}
	if m.Headers == nil {
		m.Headers = make(map[string]string, len(msg.Header))
	}
	for k, vals := range msg.Header {
		if len(vals) > 0 {
			provKeepHeader(m, k, vals[0])
		}
	}
	if m.MessageID == "" {
		m.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	}
	if len(m.Cc) == 0 {
		m.Cc = provAddressList(msg.Header.Get("Cc"))
	}
}
