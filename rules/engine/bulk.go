package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// Bulk-changeable fields (Change.Field).
const (
	FieldLabelID    = "label_id"
	FieldOwnerID    = "owner_id"
	FieldVisibility = "visibility_type"
)

// Change sets one field of one contact; Bulk groups changes into bulk
// PATCHes. Value is the label or owner id (as a decimal string) or the
// visibility type.
type Change struct {
	ContactID int64  `json:"contact_id"`
	Field     string `json:"field"`
	Value     string `json:"value"`
}

// BulkResult is what Bulk did (or would do, in a dry run).
type BulkResult struct {
	Contacts int    `json:"contacts"`
	Calls    []Call `json:"calls"`
}

// Bulk applies many contacts' label, owner or visibility changes with the
// bulk PATCH /v1/crm/contacts: one call per (field, value) per chunk of at
// most chunkSize ids (DefaultChunkSize when 0), in first-seen order. A
// contact listed twice for the same field keeps the last value. It stops
// at the first failed call.
func (e *Engine) Bulk(ctx context.Context, changes []Change, chunkSize int, dryRun bool) (*BulkResult, error) {
	if chunkSize <= 0 {
		chunkSize = rules.DefaultChunkSize
	}
	type group struct {
		field, value string
		ids          []deskera.ID
	}
	last := map[[2]string]int64{} // (contact, field) -> index of the winning change
	for i, c := range changes {
		last[[2]string{fmt.Sprint(c.ContactID), c.Field}] = int64(i)
	}
	var groups []*group
	index := map[[2]string]*group{}
	for i, c := range changes {
		if last[[2]string{fmt.Sprint(c.ContactID), c.Field}] != int64(i) {
			continue
		}
		if _, err := bulkBody(c.Field, c.Value, nil); err != nil {
			return nil, err
		}
		k := [2]string{c.Field, c.Value}
		g := index[k]
		if g == nil {
			g = &group{field: c.Field, value: c.Value}
			index[k] = g
			groups = append(groups, g)
		}
		g.ids = append(g.ids, deskera.ID(c.ContactID))
	}
	res := &BulkResult{}
	for _, g := range groups {
		for chunk := range slices.Chunk(g.ids, chunkSize) {
			body, _ := bulkBody(g.field, g.value, slices.Clone(chunk))
			res.Calls = append(res.Calls, Call{Op: "contacts.bulk_update", Method: "PATCH", Path: "/v1/crm/contacts", Body: body})
			if !dryRun {
				if err := e.bulkUpdate(ctx, body); err != nil {
					return res, fmt.Errorf("engine: bulk update %s=%s: %w", g.field, g.value, err)
				}
			}
			res.Contacts += len(chunk)
		}
	}
	return res, nil
}

func bulkBody(field, value string, ids []deskera.ID) (*deskera.BulkUpdateContact, error) {
	b := &deskera.BulkUpdateContact{IDs: ids}
	switch field {
	case FieldLabelID, FieldOwnerID:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("engine: bulk %s %q is not a positive id", field, value)
		}
		if field == FieldLabelID {
			b.LabelID = deskera.ID(n)
		} else {
			b.OwnerID = deskera.ID(n)
		}
	case FieldVisibility:
		if value == "" {
			return nil, fmt.Errorf("engine: bulk %s is empty", field)
		}
		b.VisibilityType = value
	default:
		return nil, fmt.Errorf("engine: bulk field %q is not one of %s, %s, %s", field, FieldLabelID, FieldOwnerID, FieldVisibility)
	}
	return b, nil
}
