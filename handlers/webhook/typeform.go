package webhook

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Typeform webhooks (typeform.com/developers/webhooks): event_type
// form_response (or form_response_partial); answers are joined to
// form_response.definition.fields by field id.

type typeformPayload struct {
	EventID      string `json:"event_id"`
	EventType    string `json:"event_type"`
	FormResponse *struct {
		FormID     string         `json:"form_id"`
		Token      string         `json:"token"`
		Submitted  string         `json:"submitted_at"`
		Hidden     map[string]any `json:"hidden"`
		Calculated map[string]any `json:"calculated"`
		Variables  []struct {
			Key    string   `json:"key"`
			Type   string   `json:"type"`
			Number *float64 `json:"number"`
			Text   *string  `json:"text"`
		} `json:"variables"`
		Definition struct {
			Title  string          `json:"title"`
			Fields []typeformField `json:"fields"`
		} `json:"definition"`
		Answers []map[string]any `json:"answers"`
	} `json:"form_response"`
}

type typeformField struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"`
	Ref   string `json:"ref"`
}

// typeformAutoRef matches the refs Typeform generates when the form author
// sets none (UUIDs and ULIDs).
var typeformAutoRef = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9A-HJKMNP-TV-Z]{26})$`)

func parseTypeform(src rules.Source, req *Request) (*Parsed, error) {
	var p typeformPayload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, BadRequest("body", "invalid Typeform JSON: %v", err)
	}
	if p.EventType != "form_response" && p.EventType != "form_response_partial" {
		return nil, BadRequest("event_type", "unsupported Typeform event type %q", p.EventType)
	}
	fr := p.FormResponse
	if fr == nil {
		return nil, BadRequest("form_response", "missing")
	}
	ev := NewEvent(req, src.Name, rules.KindForm)
	defs := make(map[string]typeformField, len(fr.Definition.Fields))
	for _, f := range fr.Definition.Fields {
		defs[f.ID] = f
	}
	for _, a := range fr.Answers {
		typeformAnswer(&ev, defs, a)
	}
	for _, v := range fr.Variables {
		if v.Number != nil {
			ev.Fields["variable_"+v.Key] = *v.Number
		} else if v.Text != nil {
			ev.Fields["variable_"+v.Key] = *v.Text
		}
	}
	if score, ok := fr.Calculated["score"]; ok {
		ev.Fields["score"] = score
	}
	for k, v := range fr.Hidden {
		if _, taken := ev.Fields[k]; !taken {
			ev.Fields[k] = v
		}
	}
	ev.Fields["form_id"] = fr.FormID
	ev.Fields["form_title"] = fr.Definition.Title
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	ev.ID = p.EventID
	if ev.ID == "" {
		ev.ID = fr.Token
	}
	return oneEvent(ev, ev.ID), nil
}

// typeformAnswer adds one answer under the field's ref (or title, or id)
// and picks the typed email and phone answers.
func typeformAnswer(ev *rules.Event, defs map[string]typeformField, a map[string]any) {
	typ, _ := a["type"].(string)
	ref := ""
	if f, ok := a["field"].(map[string]any); ok {
		id, _ := f["id"].(string)
		def := defs[id]
		ref, _ = f["ref"].(string)
		ref = provFirstNonEmpty(ref, def.Ref)
		if typeformAutoRef.MatchString(ref) {
			ref = "" // generated refs mean nothing to a rule author: use the title
		}
		ref = provFirstNonEmpty(ref, def.Title, id)
	}
	if ref == "" {
		return
	}
	v := typeformValue(typ, a[typ])
	ev.Fields[ref] = v
	switch typ {
	case "email":
		if ev.Email == "" {
			ev.Email = strings.TrimSpace(leadText(v))
		}
	case "phone_number":
		if ev.Phone == "" {
			ev.Phone = strings.TrimSpace(leadText(v))
		}
	}
}

// typeformValue flattens choice answers to their labels.
func typeformValue(typ string, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	switch typ {
	case "choice":
		if l, ok := m["label"]; ok {
			return l
		}
		return m["other"]
	case "choices":
		labels, _ := m["labels"].([]any)
		if o, ok := m["other"]; ok {
			labels = append(labels, o)
		}
		return labels
	}
	return m
}
