package ruletest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
)

// seed creates the labels (the state's and the rules file's declared
// ones, as in a configured account) and the contacts.
func seed(ctx context.Context, fake *deskeratest.Fake, client *deskera.Client, set *rules.Set, st *CRMState) error {
	names := append([]string(nil), st.Labels...)
	for _, l := range set.Labels() {
		names = append(names, l.Name)
	}
	ids := labelIDs(fake)
	for _, name := range names {
		if _, ok := ids[strings.ToLower(name)]; ok {
			continue
		}
		id, err := client.CreateLabel(ctx, &deskera.LabelRequest{Name: name})
		if err != nil {
			return fmt.Errorf("label %q: %w", name, err)
		}
		ids[strings.ToLower(name)] = id
	}
	for i, m := range st.Contacts {
		c, err := startContact(m, ids)
		if err != nil {
			return fmt.Errorf("contact %d: %w", i+1, err)
		}
		fake.AddContact(c)
	}
	return nil
}

func labelIDs(fake *deskeratest.Fake) map[string]deskera.ID {
	ids := map[string]deskera.ID{}
	for _, l := range fake.Labels() {
		ids[strings.ToLower(l.Name)] = l.ID
	}
	return ids
}

// startContact converts a starting contact: id, name, email, phone, type,
// note, label (a name), owner_id, visibility and custom (name: value).
func startContact(m map[string]any, labels map[string]deskera.ID) (deskera.Contact, error) {
	var in struct {
		ID         deskera.ID        `json:"id"`
		Name       string            `json:"name"`
		Email      string            `json:"email"`
		Phone      string            `json:"phone"`
		Type       string            `json:"type"`
		Note       string            `json:"note"`
		Label      string            `json:"label"`
		OwnerID    deskera.ID        `json:"owner_id"`
		Visibility string            `json:"visibility"`
		Custom     map[string]string `json:"custom"`
	}
	data, err := json.Marshal(normalize(m))
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&in)
	}
	if err != nil {
		return deskera.Contact{}, fmt.Errorf("%w (keys: id, name, email, phone, type, note, label, owner_id, visibility, custom)", err)
	}
	c := deskera.Contact{ID: in.ID, Name: in.Name, Email: in.Email, Phone: in.Phone, Type: in.Type,
		Note: in.Note, OwnerID: in.OwnerID, VisibilityType: in.Visibility}
	if in.Label != "" {
		id, ok := labels[strings.ToLower(in.Label)]
		if !ok {
			return c, fmt.Errorf("label %q does not exist; list it under crm.labels", in.Label)
		}
		c.LabelID = id
	}
	for k, v := range in.Custom {
		c.CustomField = append(c.CustomField, deskera.CustomField{Label: k, ShortName: k, Value: v})
	}
	return c, nil
}

// contactViews is the CRM's contacts as tests see them: label by name,
// custom fields as a map.
func contactViews(fake *deskeratest.Fake) []map[string]any {
	names := map[deskera.ID]string{}
	for _, l := range fake.Labels() {
		names[l.ID] = l.Name
	}
	var out []map[string]any
	for _, c := range fake.Contacts() {
		v := map[string]any{
			"id": float64(c.ID), "name": c.Name, "email": c.Email, "phone": c.Phone, "type": c.Type,
			"note": c.Note, "label": names[c.LabelID], "label_id": float64(c.LabelID),
			"owner_id": float64(c.OwnerID), "visibility": c.VisibilityType,
		}
		if len(c.CustomField) > 0 {
			custom := map[string]any{}
			for _, f := range c.CustomField {
				custom[cmp.Or(f.Label, f.ShortName, f.Code)] = f.Value
			}
			v["custom"] = custom
		}
		out = append(out, v)
	}
	return out
}
