package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Deskera CRM webhooks (CREATE_CRM_CONTACT, UPDATE_CRM_CONTACT, ...) posted
// as JSON, so a change in the CRM can trigger rescoring. The shape is read
// tolerantly: the event type from event/eventType/event_type/type/action,
// the contact from data/payload/contact/body (possibly nested, possibly a
// list: one event per contact). event.kind is crm and event.contact_id is
// the contact's id.

var (
	deskeraTypeKeys = []string{"event", "eventType", "event_type", "type", "webhookEvent", "action", "topic"}
	deskeraDataKeys = []string{"data", "payload", "contact", "body", "entity", "object", "record"}
	deskeraIDKeys   = []string{"id", "contactId", "contact_id", "contactID", "_id"}
	deskeraEvtIDs   = []string{"eventId", "event_id", "webhookId", "deliveryId", "delivery_id"}
)

func parseDeskera(src rules.Source, req *Request) (*Parsed, error) {
	var top map[string]any
	if err := json.Unmarshal(req.Body, &top); err != nil || top == nil {
		return nil, BadRequest("body", "invalid Deskera webhook JSON")
	}
	evType := deskeraString(top, deskeraTypeKeys)
	contacts := deskeraContacts(top, 0)
	if evType == "" && len(contacts) == 0 {
		return nil, BadRequest("event", "no event type and no contact object")
	}
	delivery := DeliveryID(deskeraString(top, deskeraEvtIDs))
	if delivery == "" {
		sum := sha256.Sum256(req.Body)
		delivery = "deskera-" + hex.EncodeToString(sum[:16])
	}
	out := &Parsed{DeliveryID: delivery}
	for i, c := range contacts {
		ev, err := deskeraEvent(src, req, evType, c)
		if err != nil {
			return nil, err
		}
		ev.ID = delivery
		if len(contacts) > 1 {
			ev.ID = delivery + "#" + strconv.Itoa(i)
		}
		out.Events = append(out.Events, ev)
	}
	if len(out.Events) == 0 {
		ev, err := deskeraEvent(src, req, evType, top)
		if err != nil {
			return nil, err
		}
		ev.ID = delivery
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// deskeraContacts finds the contact object(s): the first data-like key
// holding an object (searched one level deeper when it wraps another) or
// a list of objects.
func deskeraContacts(m map[string]any, depth int) []map[string]any {
	for _, k := range deskeraDataKeys {
		switch t := m[k].(type) {
		case map[string]any:
			if depth < 2 && deskeraString(t, deskeraIDKeys) == "" && t["email"] == nil {
				if inner := deskeraContacts(t, depth+1); len(inner) > 0 {
					return inner
				}
			}
			return []map[string]any{t}
		case []any:
			var out []map[string]any
			for _, e := range t {
				if obj, ok := e.(map[string]any); ok {
					out = append(out, obj)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return nil
}

func deskeraEvent(src rules.Source, req *Request, evType string, c map[string]any) (rules.Event, error) {
	ev := NewEvent(req, src.Name, rules.KindCRM)
	for k, v := range c {
		switch t := v.(type) {
		case map[string]any, []any:
			if k == "c_field" || k == "custom_field" {
				deskeraCustom(ev.Fields, t)
			}
		default:
			ev.Fields[k] = t
		}
	}
	if id, err := strconv.ParseInt(deskeraString(c, deskeraIDKeys), 10, 64); err == nil {
		ev.ContactID = id
	}
	ev.Fields["event_type"] = evType
	err := Normalize(&ev)
	return ev, err
}

// deskeraCustom flattens c_field ({code: value}) and custom_field
// ([{code,label,value}]) into fields keyed by code (or label).
func deskeraCustom(fields map[string]any, v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			fields[k] = val
		}
	case []any:
		for _, e := range t {
			cf, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if key := provFirstNonEmpty(rules.ValueText(cf["code"]), rules.ValueText(cf["label"])); key != "" {
				fields[key] = cf["value"]
			}
		}
	}
}

// deskeraString returns the first of keys holding a non-empty scalar.
func deskeraString(m map[string]any, keys []string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}
