package webhook

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Mailgun Routes forward(): urlencoded, or multipart when the mail has
// attachments; the "mime" variant sends the raw message in body-mime.
// Signature fields (timestamp, token, signature) are checked by the
// mailgun verifier. The delivery id is the Message-Id, which stays the same
// when Mailgun retries; the token when the mail has none.

var mailgunSkip = map[string]bool{
	"signature": true, "token": true, "timestamp": true, "body-plain": true, "body-html": true,
	"stripped-html": true, "message-headers": true, "body-mime": true, "content-id-map": true,
}

func parseMailgun(src rules.Source, req *Request, maxMem int64) (*Parsed, error) {
	form, err := readForm(req, maxMem)
	if err != nil {
		return nil, err
	}
	v := form.values // raw: body-mime is a message with its own charsets
	if v.Get("from") == "" && v.Get("sender") == "" && v.Get("body-mime") == "" {
		return nil, BadRequest("from", "missing: not a Mailgun route delivery")
	}
	ev := NewEvent(req, src.Name, rules.KindEmail)
	ev.Fields = form.fields(mailgunSkip, nil)
	m := &ev.Mail
	if err := provMIMEInto("body-mime", []byte(v.Get("body-mime")), m); err != nil {
		return nil, err
	}
	if err := mailgunHeaders(v.Get("message-headers"), m); err != nil {
		return nil, err
	}
	mailgunMail(func(k string) string { return form.get(k, nil) }, form.files, m)
	if err := mailLead(&ev, provFirstNonEmpty(form.get("from", nil), form.get("sender", nil))); err != nil {
		return nil, err
	}
	ev.ID = DeliveryID(provFirstNonEmpty(m.MessageID, v.Get("token")))
	return oneEvent(ev, ev.ID), nil
}

func mailgunMail(get func(string) string, files int, m *rules.Mail) {
	provFrom(m, get("from"), get("sender"))
	provOverride(&m.Subject, get("subject"))
	provOverride(&m.Text, get("body-plain"))
	provOverride(&m.HTML, get("body-html"))
	provOverrideList(&m.To, get("recipient"))
	if m.MessageID == "" {
		m.MessageID = provFirstNonEmpty(get("Message-Id"), get("Message-ID"))
	}
	if n, err := strconv.Atoi(get("attachment-count")); err == nil && n > m.Attachments {
		m.Attachments = n
	}
	if files > m.Attachments {
		m.Attachments = files
	}
}

// mailgunHeaders reads message-headers, a JSON list of [name, value]
// pairs, into m.Headers (first value wins), with cc, message id and the
// spam flag and score.
func mailgunHeaders(raw string, m *rules.Mail) error {
	if raw == "" {
		return nil
	}
	var pairs [][]string
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
		return BadRequest("message-headers", "invalid JSON: %v", err)
	}
	if m.Headers == nil {
		m.Headers = make(map[string]string, len(pairs))
	}
	for _, p := range pairs {
		if len(p) == 2 {
			provKeepHeader(m, p[0], p[1])
		}
	}
	h := func(k string) string {
		for name, v := range m.Headers {
			if strings.EqualFold(name, k) {
				return v
			}
		}
		return ""
	}
	if m.MessageID == "" {
		m.MessageID = h("Message-Id")
	}
	if len(m.Cc) == 0 {
		m.Cc = provAddressList(h("Cc"))
	}
	switch strings.ToLower(h("X-Mailgun-Sflag")) {
	case "yes":
		m.Spam = "spam"
	case "no":
		m.Spam = "pass"
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(h("X-Mailgun-Sscore")), 64); err == nil {
		m.SpamScore = f
	}
	return nil
}
