package webhook

import (
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// The SES mail and receipt objects shared by the SNS notification and the
// Lambda SimpleEmailEvent.

type sesMail struct {
	Source      string   `json:"source"`
	MessageID   string   `json:"messageId"`
	Destination []string `json:"destination"`
	Headers     []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	CommonHeaders struct {
		From      []string `json:"from"`
		To        []string `json:"to"`
		Cc        []string `json:"cc"`
		MessageID string   `json:"messageId"`
		Subject   string   `json:"subject"`
		Date      string   `json:"date"`
	} `json:"commonHeaders"`
}

type sesVerdict struct {
	Status string `json:"status"`
}

type sesReceipt struct {
	Recipients   []string    `json:"recipients"`
	SpamVerdict  *sesVerdict `json:"spamVerdict"`
	VirusVerdict *sesVerdict `json:"virusVerdict"`
	SPFVerdict   *sesVerdict `json:"spfVerdict"`
	DKIMVerdict  *sesVerdict `json:"dkimVerdict"`
	DMARCVerdict *sesVerdict `json:"dmarcVerdict"`
	Action       struct {
		Type     string `json:"type"`
		Encoding string `json:"encoding"`
	} `json:"action"`
}

// sesEvent builds the email event from the SES mail object, the receipt
// verdicts and, when present, the raw MIME content (text, html,
// attachments).
func sesEvent(src rules.Source, req *Request, sm *sesMail, rc *sesReceipt, content string) (rules.Event, error) {
	ev := NewEvent(req, src.Name, rules.KindEmail)
	m := &ev.Mail
	if content != "" {
		raw, err := sesDecodeContent(content, rc)
		if err != nil {
			return ev, BadRequest("content", "invalid base64 content")
		}
		if err := provParseMIME(raw, m); err != nil {
			return ev, BadRequest("content", "invalid MIME message: %v", err)
		}
	}
	ch := sm.CommonHeaders
	if len(ch.From) > 0 {
		m.From, m.FromName = provSplitAddress(ch.From[0])
	} else if m.From == "" {
		m.From = provEmail(sm.Source)
	}
	provOverrideList(&m.To, strings.Join(ch.To, ", "))
	provOverrideList(&m.Cc, strings.Join(ch.Cc, ", "))
	provOverride(&m.Subject, ch.Subject)
	provOverride(&m.MessageID, ch.MessageID)
	if m.Headers == nil {
		m.Headers = make(map[string]string, len(sm.Headers))
	}
	for _, h := range sm.Headers {
		provKeepHeader(m, h.Name, h.Value)
	}
	sesVerdicts(&ev, rc)
	rawFrom := sm.Source
	if len(ch.From) > 0 {
		rawFrom = ch.From[0]
	}
	if err := mailLead(&ev, rawFrom); err != nil {
		return ev, err
	}
	ev.Fields["ses_message_id"] = sm.MessageID
	return ev, nil
}

func sesVerdicts(ev *rules.Event, rc *sesReceipt) {
	if rc == nil {
		return
	}
	if rc.SpamVerdict != nil {
		ev.Mail.Spam = strings.ToLower(rc.SpamVerdict.Status)
	}
	for name, v := range map[string]*sesVerdict{"virus": rc.VirusVerdict, "spf": rc.SPFVerdict, "dkim": rc.DKIMVerdict, "dmarc": rc.DMARCVerdict} {
		if v != nil && v.Status != "" {
			ev.Fields[name] = strings.ToLower(v.Status)
		}
	}
	if len(rc.Recipients) > 0 {
		ev.Fields["recipients"] = strings.Join(rc.Recipients, ", ")
	}
}
