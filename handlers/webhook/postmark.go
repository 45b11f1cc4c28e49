package webhook

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Postmark inbound webhooks (JSON). Unsigned: pair with basic auth and/or
// allow_ips. MessageID is Postmark's id (the delivery id); the RFC
// Message-ID, when present, is in Headers.

type postmarkAddress struct {
	Email string `json:"Email"`
	Name  string `json:"Name"`
}

type postmarkPayload struct {
	From              string            `json:"From"`
	FromName          string            `json:"FromName"`
	FromFull          *postmarkAddress  `json:"FromFull"`
	To                string            `json:"To"`
	ToFull            []postmarkAddress `json:"ToFull"`
	Cc                string            `json:"Cc"`
	CcFull            []postmarkAddress `json:"CcFull"`
	OriginalRecipient string            `json:"OriginalRecipient"`
	Subject           string            `json:"Subject"`
	MessageID         string            `json:"MessageID"`
	MailboxHash       string            `json:"MailboxHash"`
	MessageStream     string            `json:"MessageStream"`
	Tag               string            `json:"Tag"`
	Date              string            `json:"Date"`
	TextBody          string            `json:"TextBody"`
	HTMLBody          string            `json:"HtmlBody"`
	StrippedTextReply string            `json:"StrippedTextReply"`
	Headers           []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"Headers"`
	Attachments []json.RawMessage `json:"Attachments"`
}

func parsePostmark(src rules.Source, req *Request) (*Parsed, error) {
	var p postmarkPayload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, BadRequest("body", "invalid Postmark JSON: %v", err)
	}
	if p.From == "" && p.FromFull == nil {
		return nil, BadRequest("From", "missing: not a Postmark inbound message")
	}
	ev := NewEvent(req, src.Name, rules.KindEmail)
	m := &ev.Mail
	m.From, m.FromName = provSplitAddress(p.From)
	if p.FromFull != nil && p.FromFull.Email != "" {
		m.From, m.FromName = provEmail(p.FromFull.Email), p.FromFull.Name
	}
	if m.FromName == "" {
		m.FromName = p.FromName
	}
	m.To = postmarkList(p.ToFull, p.To)
	m.Cc = postmarkList(p.CcFull, p.Cc)
	m.Subject, m.Text, m.HTML = p.Subject, p.TextBody, p.HTMLBody
	m.Attachments = len(p.Attachments)
	postmarkHeaders(&p, m)
	rawFrom := p.From
	if p.FromFull != nil {
		rawFrom = provFirstNonEmpty(p.FromFull.Email, rawFrom)
	}
	if err := mailLead(&ev, rawFrom); err != nil {
		return nil, err
	}
	for k, v := range map[string]string{"mailbox_hash": p.MailboxHash, "tag": p.Tag, "message_stream": p.MessageStream,
		"original_recipient": p.OriginalRecipient, "stripped_text_reply": p.StrippedTextReply, "date": p.Date} {
		if v != "" {
			ev.Fields[k] = v
		}
	}
	ev.ID = p.MessageID
	if ev.ID == "" {
		ev.ID = m.MessageID
	}
	return oneEvent(ev, ev.ID), nil
}

func postmarkList(full []postmarkAddress, plain string) []string {
	if len(full) == 0 {
		return provAddressList(plain)
	}
	out := make([]string, 0, len(full))
	for _, a := range full {
		if e := provEmail(a.Email); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func postmarkHeaders(p *postmarkPayload, m *rules.Mail) {
	m.Headers = make(map[string]string, len(p.Headers))
	for _, h := range p.Headers {
		provKeepHeader(m, h.Name, h.Value)
		switch strings.ToLower(h.Name) {
		case "message-id":
			m.MessageID = h.Value
		case "x-spam-status":
			m.Spam = "pass"
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Value)), "yes") {
				m.Spam = "spam"
			}
		case "x-spam-score":
			if f, err := strconv.ParseFloat(strings.TrimSpace(h.Value), 64); err == nil {
				m.SpamScore = f
			}
		}
	}
	if m.MessageID == "" {
		m.MessageID = p.MessageID
	}
}
