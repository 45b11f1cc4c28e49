package deskera

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

const labelsPath = "/v1/crm/contacts/labels"

// ListLabels returns every contact label (a bare JSON array).
func (c *Client) ListLabels(ctx context.Context) ([]Label, error) {
	r := &request{op: "labels.list", method: http.MethodGet, path: labelsPath, idempotent: true}
	var out []Label
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetLabel returns label id; a missing label gives an error matching
// ErrNotFound.
func (c *Client) GetLabel(ctx context.Context, id ID) (*Label, error) {
	return getByID[Label](ctx, c, "labels.get", id, labelPath)
}

// getByID is the GET of one record by id, shared by contacts and labels:
// the id is checked before anything is sent, and the call may be retried.
func getByID[T any](ctx context.Context, c *Client, op string, id ID, path func(ID) string) (*T, error) {
	if err := checkID(op, id); err != nil {
		return nil, err
	}
	r := &request{op: op, method: http.MethodGet, path: path(id), idempotent: true}
	var out T
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateLabel creates a label and returns its id; Deskera documents the id
// as a string ({"id":"14"}), a number is accepted too. Like CreateContact it
// is not retried once it may have reached Deskera (ErrOutcomeUnknown: list
// the labels before creating again). The id is 0 if the reply carries none.
func (c *Client) CreateLabel(ctx context.Context, l *LabelRequest) (ID, error) {
	if l == nil {
		return 0, errors.New("deskera: labels.create: nil label")
	}
	r := &request{op: "labels.create", method: http.MethodPost, path: labelsPath, body: l}
	var out struct {
		ID ID `json:"id"`
	}
	if err := c.do(ctx, r, &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// UpdateLabel updates label id (PUT; Deskera answers 201 with no body).
func (c *Client) UpdateLabel(ctx context.Context, id ID, l *LabelRequest) error {
	if err := checkID("labels.update", id); err != nil {
		return err
	}
	if l == nil {
		return errors.New("deskera: labels.update: nil label")
	}
	r := &request{op: "labels.update", method: http.MethodPut, path: labelPath(id), body: l, idempotent: true}
	return c.do(ctx, r, nil)
}

// DeleteLabel deletes label id.
func (c *Client) DeleteLabel(ctx context.Context, id ID) error {
	if err := checkID("labels.delete", id); err != nil {
		return err
	}
	r := &request{op: "labels.delete", method: http.MethodDelete, path: labelPath(id), idempotent: true}
	return c.do(ctx, r, nil)
}

func labelPath(id ID) string { return labelsPath + "/" + strconv.FormatInt(int64(id), 10) }
