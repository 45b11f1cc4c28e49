package webhook

import (
	"encoding/json"

	"github.com/leadhook/leadhook/rules"
)

// Webflow form_submission webhooks: Data API v2
// {"triggerType":"form_submission","payload":{...}} and the legacy v1 body
// {"name","site","data","d","_id"}. data is keyed by field label.

type webflowForm struct {
	Name        string         `json:"name"`
	SiteID      string         `json:"siteId"`
	Site        string         `json:"site"`
	Data        map[string]any `json:"data"`
	SubmittedAt string         `json:"submittedAt"`
	D           string         `json:"d"`
	ID          string         `json:"id"`
	LegacyID    string         `json:"_id"`
	FormID      string         `json:"formId"`
}

type webflowPayload struct {
	TriggerType string       `json:"triggerType"`
	Payload     *webflowForm `json:"payload"`
	webflowForm
}

func parseWebflow(src rules.Source, req *Request) (*Parsed, error) {
	var p webflowPayload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, BadRequest("body", "invalid Webflow JSON: %v", err)
	}
	form := &p.webflowForm
	if p.TriggerType != "" || p.Payload != nil {
		if p.TriggerType != "form_submission" {
			return nil, BadRequest("triggerType", "unsupported Webflow trigger %q", p.TriggerType)
		}
		if p.Payload == nil {
			return nil, BadRequest("payload", "missing")
		}
		form = p.Payload
	}
	if form.Data == nil {
		return nil, BadRequest("data", "missing form data")
	}
	ev := NewEvent(req, src.Name, rules.KindForm)
	for k, v := range form.Data {
		ev.Fields[k] = v
	}
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	ev.Fields["form_name"] = form.Name
	if form.FormID != "" {
		ev.Fields["form_id"] = form.FormID
	}
	ev.ID = provFirstNonEmpty(form.ID, form.LegacyID)
	return oneEvent(ev, ev.ID), nil
}
