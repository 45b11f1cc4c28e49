package deskera

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const contactsPath = "/v1/crm/contacts"

// DefaultWalkLimit is the page size WalkContacts uses when opts.Limit is 0.
const DefaultWalkLimit = 100

// ListContacts returns one page of GET /v1/crm/contacts. opts may be nil.
// Errors are *APIError (or *RateLimitError) for non-2xx answers after
// retries, or transport/context errors.
func (c *Client) ListContacts(ctx context.Context, opts *ListContactsOptions) (*ContactList, error) {
	r := &request{op: "contacts.list", method: http.MethodGet, path: contactsPath, idempotent: true}
	// The search every lead makes: its query in one piece, without
	// building url.Values (the buffer holds any usual email).
	var buf [160]byte
	if q, ok := opts.appendSearchQuery(buf[:0]); ok {
		r.rawQuery = string(q)
	} else {
		r.query = opts.values()
	}
	var out ContactList
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Query is the encoded query string ListContacts sends for o (keys
// sorted, as url.Values.Encode gives them), for callers that record the
// call (the engine's dry-run plan).
func (o *ListContactsOptions) Query() string {
	var buf [128]byte
	if q, ok := o.appendSearchQuery(buf[:0]); ok {
		return string(q)
	}
	return o.values().Encode()
}

// AppendQuery appends Query() to dst: a caller that records the call's
// path builds it in one piece.
func (o *ListContactsOptions) AppendQuery(dst []byte) []byte {
	if q, ok := o.appendSearchQuery(dst); ok {
		return q
	}
	return append(dst, o.values().Encode()...)
}

// appendSearchQuery appends opts.values().Encode() to dst for the search
// by email or phone with a limit (what the engine sends per lead), built
// directly; false (and dst as it was) for any other options.
func (o *ListContactsOptions) appendSearchQuery(dst []byte) ([]byte, bool) {
	if o == nil || (o.Email == "") == (o.Phone == "") || o.Limit <= 0 {
		return dst, false
	}
	if len(o.Columns) > 0 || o.ContainsEmail != nil || o.Page > 0 || len(o.ContactIDs) > 0 ||
		o.OrderBy+o.OrderByAlt+o.Order+o.Sort+o.Search+o.Type+o.Action+o.Name != "" {
		return dst, false
	}
	b := dst
	if o.Email != "" { // keys in url.Values.Encode's (sorted) order
		b = appendQueryEscape(append(b, "email="...), o.Email)
		b = append(b, '&')
	}
	b = strconv.AppendInt(append(b, "limit="...), int64(o.Limit), 10)
	if o.Phone != "" {
		b = appendQueryEscape(append(b, "&phone="...), o.Phone)
	}
	return b, true
}

// appendQueryEscape appends url.QueryEscape(s) to dst: the unreserved
// bytes as they are, a space as '+', any other byte as %XX.
func appendQueryEscape(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// values encodes the documented query parameters; zero values are omitted.
func (o *ListContactsOptions) values() url.Values {
	v := url.Values{}
	if o == nil {
		return v
	}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("columns", strings.Join(o.Columns, ","))
	if o.ContainsEmail != nil {
		v.Set("contains_email", strconv.FormatBool(*o.ContainsEmail))
	}
	if o.Limit > 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Page > 0 {
		v.Set("page", strconv.Itoa(o.Page))
	}
	set("orderBy", o.OrderBy)
	set("order_by", o.OrderByAlt)
	set("order", o.Order)
	set("sort", o.Sort)
	set("search", o.Search)
	set("type", o.Type)
	set("contact_ids", joinIDs(o.ContactIDs))
	set("action", o.Action)
	set("name", o.Name)
	set("email", o.Email)
	set("phone", o.Phone)
	return v
}

func joinIDs(ids []ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(int64(id), 10)
	}
	return strings.Join(parts, ",")
}

// WalkContacts calls fn with every page of contacts matching opts, from
// opts.Page (default 1) until the last page, using opts.Limit per page
// (default DefaultWalkLimit). It stops after paginationInfo.totalRecords
// contacts, or at an empty page (or a short one when the total is absent),
// and at the first error, returning fn's error wrapped with the page number.
func (c *Client) WalkContacts(ctx context.Context, opts *ListContactsOptions, fn func([]Contact) error) error {
	o := ListContactsOptions{}
	if opts != nil {
		o = *opts
	}
	o.Page, o.Limit = max(o.Page, 1), cmp.Or(max(o.Limit, 0), DefaultWalkLimit)
	// Contacts of the pages skipped count as seen (totalRecords counts them).
	seen, prevFirst := (o.Page-1)*o.Limit, ID(-1)
	for {
		page, err := c.ListContacts(ctx, &o)
		if err != nil {
			return err
		}
		if len(page.Data) == 0 {
			return nil
		}
		if page.Data[0].ID == prevFirst {
			return fmt.Errorf("deskera: contacts.list: page %d repeats page %d: server ignores paging", o.Page, o.Page-1)
		}
		if err := fn(page.Data); err != nil {
			return fmt.Errorf("deskera: walk contacts: page %d: %w", o.Page, err)
		}
		seen += len(page.Data)
		total := page.PaginationInfo.TotalRecords
		if (total > 0 && seen >= total) || (total == 0 && len(page.Data) < o.Limit) {
			return nil
		}
		prevFirst = page.Data[0].ID
		o.Page++
	}
}

// GetContact returns contact id. A missing contact gives an error matching
// ErrNotFound.
func (c *Client) GetContact(ctx context.Context, id ID) (*Contact, error) {
	return getByID[Contact](ctx, c, "contacts.get", id, contactPath)
}

// MaxMultipleIDs is the most ids GetContactsByIDs sends in one POST
// /v1/crm/contacts/multiple. The API document gives no limit; a longer
// list is split into several calls rather than risk a refused one.
const MaxMultipleIDs = 100

// GetContactsByIDs returns the contacts with the given ids (POST
// /v1/crm/contacts/multiple, one call per MaxMultipleIDs ids; a read, so it
// is retried like a GET). Unknown ids are absent from the result, which
// need not follow the order of ids: match the contacts by id. No ids: no
// request, nil result.
func (c *Client) GetContactsByIDs(ctx context.Context, ids []ID) ([]Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var all []Contact
	for start := 0; start < len(ids); start += MaxMultipleIDs {
		chunk := ids[start:min(start+MaxMultipleIDs, len(ids))]
		r := &request{op: "contacts.multiple", method: http.MethodPost, path: contactsPath + "/multiple",
			body: MultipleContactsByIDRequest{ContactIDs: chunk}, idempotent: true}
		var out []Contact
		if err := c.do(ctx, r, &out); err != nil {
			return nil, err
		}
		all = append(all, out...)
	}
	return all, nil
}

// CreateContact creates a contact (POST /v1/crm/contacts) and returns it as
// Deskera answers. It is retried only when the request provably never
// reached Deskera (connection refused, never dialled); any failure after
// sending, a 429 included (Deskera may commit a create and still answer
// 429), returns an error matching ErrOutcomeUnknown: search by email before
// creating again (see the package doc). If Deskera answers with an
// empty body, the result echoes dto with ID 0.
func (c *Client) CreateContact(ctx context.Context, dto *ContactSaveDto) (*Contact, error) {
	if dto == nil {
		return nil, errors.New("deskera: contacts.create: nil contact")
	}
	r := &request{op: "contacts.create", method: http.MethodPost, path: contactsPath, body: dto}
	var out *Contact
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = echo(dto)
	}
	return out, nil
}

// echo is the contact a create or update reply without a body stands for.
func echo(dto *ContactSaveDto) *Contact {
	return &Contact{ID: dto.ID, Name: dto.Name, Email: dto.Email, Phone: dto.Phone,
		CountryCode: dto.CountryCode, Address: dto.Address, Note: dto.Note,
		LabelID: dto.LabelID, Type: dto.Type, VisibilityType: dto.VisibilityType,
		OrganizationID: dto.OrganizationID, OwnerID: dto.OwnerID,
		SubOwnerIDs: dto.SubOwnerIDs, CustomField: dto.CustomField}
}

// UpdateContact patches contact id with the non-zero fields of dto (PATCH
// /v1/crm/contacts/{id}). Deskera answers 201 with an empty body, giving
// (nil, nil); a body, if any, is decoded and returned.
func (c *Client) UpdateContact(ctx context.Context, id ID, dto *ContactSaveDto) (*Contact, error) {
	return c.writeContact(ctx, "contacts.update", http.MethodPatch, id, dto)
}

// ReplaceContact replaces contact id with dto (PUT /v1/crm/contacts/{id}).
// Like UpdateContact, an empty answer gives (nil, nil).
func (c *Client) ReplaceContact(ctx context.Context, id ID, dto *ContactSaveDto) (*Contact, error) {
	return c.writeContact(ctx, "contacts.replace", http.MethodPut, id, dto)
}

func (c *Client) writeContact(ctx context.Context, op, method string, id ID, dto *ContactSaveDto) (*Contact, error) {
	if err := checkID(op, id); err != nil {
		return nil, err
	}
	if dto == nil {
		return nil, fmt.Errorf("deskera: %s: nil contact", op)
	}
	r := &request{op: op, method: method, path: contactPath(id), body: dto, idempotent: true}
	var out *Contact
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteContact deletes contact id. A missing contact gives an error
// matching ErrNotFound.
func (c *Client) DeleteContact(ctx context.Context, id ID) error {
	if err := checkID("contacts.delete", id); err != nil {
		return err
	}
	r := &request{op: "contacts.delete", method: http.MethodDelete, path: contactPath(id), idempotent: true}
	return c.do(ctx, r, nil)
}

// BulkUpdateContacts applies one label, owner or visibility to every
// contact in b.IDs (PATCH /v1/crm/contacts).
func (c *Client) BulkUpdateContacts(ctx context.Context, b *BulkUpdateContact) error {
	if b == nil || len(b.IDs) == 0 {
		return errors.New("deskera: contacts.bulk_update: no ids")
	}
	r := &request{op: "contacts.bulk_update", method: http.MethodPatch, path: contactsPath, body: b, idempotent: true}
	return c.do(ctx, r, nil)
}

func contactPath(id ID) string { return contactsPath + "/" + strconv.FormatInt(int64(id), 10) }

func checkID(op string, id ID) error {
	if id <= 0 {
		return fmt.Errorf("deskera: %s: invalid id %d", op, id)
	}
	return nil
}
