package webhook

import (
	"encoding/json"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Tally FORM_RESPONSE webhooks (tally.so/help/webhooks): data.fields[] with
// polymorphic values; choice values are option ids mapped to their text.

type tallyPayload struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	Data      *struct {
		ResponseID string       `json:"responseId"`
		FormID     string       `json:"formId"`
		FormName   string       `json:"formName"`
		Fields     []tallyField `json:"fields"`
	} `json:"data"`
}

type tallyField struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	Type    string `json:"type"`
	Value   any    `json:"value"`
	Options []struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	} `json:"options"`
}

func parseTally(src rules.Source, req *Request) (*Parsed, error) {
	var p tallyPayload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, BadRequest("body", "invalid Tally JSON: %v", err)
	}
	if p.EventType != "FORM_RESPONSE" {
		return nil, BadRequest("eventType", "unsupported Tally event type %q", p.EventType)
	}
	if p.Data == nil {
		return nil, BadRequest("data", "missing")
	}
	ev := NewEvent(req, src.Name, rules.KindForm)
	for _, f := range p.Data.Fields {
		name := provFirstNonEmpty(f.Label, f.Key)
		if name == "" {
			continue
		}
		v := tallyValue(f)
		ev.Fields[name] = v
		if f.Type == "INPUT_EMAIL" && ev.Email == "" {
			ev.Email = strings.TrimSpace(leadText(v))
		}
		if f.Type == "INPUT_PHONE_NUMBER" && ev.Phone == "" {
			ev.Phone = strings.TrimSpace(leadText(v))
		}
	}
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	ev.Fields["form_id"] = p.Data.FormID
	ev.Fields["form_name"] = p.Data.FormName
	ev.ID = provFirstNonEmpty(p.EventID, p.Data.ResponseID)
	return oneEvent(ev, ev.ID), nil
}

// tallyValue maps option ids to their text and file objects to their URLs;
// other values pass through.
func tallyValue(f tallyField) any {
	list, ok := f.Value.([]any)
	if !ok {
		return f.Value
	}
	text := make(map[string]string, len(f.Options))
	for _, o := range f.Options {
		text[o.ID] = o.Text
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		switch t := e.(type) {
		case string:
			if s, ok := text[t]; ok {
				out = append(out, s)
			} else {
				out = append(out, t)
			}
		case map[string]any:
			if u, ok := t["url"]; ok {
				out = append(out, u)
			} else {
				out = append(out, t)
			}
		default:
			out = append(out, t)
		}
	}
	return out
}
