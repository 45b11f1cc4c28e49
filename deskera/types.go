package deskera

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ID is a Deskera numeric identifier. Deskera's documented samples return
// some ids as JSON strings ({"id":"14"}); ID accepts a number, a numeric
// string or null when decoding and always encodes as a number.
type ID int64

// UnmarshalJSON accepts 14, "14" and null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" || string(b) == `""` {
		*id = 0
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("deskera: id %s: %w", b, err)
		}
		b = []byte(s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("deskera: id %q is not an integer", b)
	}
	*id = ID(n)
	return nil
}

// Label is a contact label (ContactLabelResponse).
type Label struct {
	ID       ID     `json:"id"`
	Name     string `json:"name"`
	Color    string `json:"color"`
	Icon     string `json:"icon"`
	OwnerID  ID     `json:"owner_id"`
	TenantID ID     `json:"tenant_id,omitempty"`
}

// LabelRequest creates or updates a label (ContactLabelRequest).
type LabelRequest struct {
	Name    string `json:"name,omitempty"`
	Color   string `json:"color,omitempty"`
	Icon    string `json:"icon,omitempty"`
	OwnerID ID     `json:"owner_id,omitempty"`
}

// LabelRef is the label object embedded in a contact ({"id":1,"name":"No label"}).
type LabelRef struct {
	ID   ID     `json:"id"`
	Name string `json:"name"`
}

// CustomField is one custom field value on a contact.
type CustomField struct {
	Code      string `json:"code,omitempty"`
	Label     string `json:"label,omitempty"`
	Module    string `json:"module,omitempty"`
	ShortName string `json:"shortName,omitempty"`
	Value     string `json:"value"`
}

// OwnerDetails describes a contact's owner as returned by Deskera.
type OwnerDetails struct {
	ID        ID     `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Contact   string `json:"contact"`
	Role      string `json:"role"`
	Status    string `json:"status"`
}

// DealDetail is an entry of a contact's deal_details.
type DealDetail struct {
	ContactID   ID  `json:"contactId"`
	Status      int `json:"status"`
	StatusCount int `json:"status_count"`
}

// Contact is a contact as Deskera returns it (list, get, get many, create).
// Fields Deskera documents loosely (objects that may be {} or null) are kept
// as raw JSON; unknown fields are ignored.
type Contact struct {
	ID              ID                `json:"id"`
	Name            string            `json:"name"`
	Email           string            `json:"email"`
	Phone           string            `json:"phone,omitempty"`
	CountryCode     string            `json:"country_code"`
	Address         string            `json:"address,omitempty"`
	Note            string            `json:"note,omitempty"`
	Label           *LabelRef         `json:"label,omitempty"`
	LabelID         ID                `json:"label_id"`
	Type            string            `json:"type"`
	VisibilityType  string            `json:"visibility_type"`
	VisibilityIDs   json.RawMessage   `json:"visibility_ids,omitempty"`
	Persons         json.RawMessage   `json:"persons,omitempty"`
	Organization    json.RawMessage   `json:"organization,omitempty"`
	OrganizationID  ID                `json:"organization_id"`
	SubOwnerIDs     []ID              `json:"sub_owner_ids"`
	OwnerID         ID                `json:"owner_id"`
	TenantID        ID                `json:"tenant_id"`
	CreatedAt       string            `json:"created_at"`
	UpdatedAt       string            `json:"updated_at"`
	CreatedBy       ID                `json:"created_by"`
	UpdatedBy       ID                `json:"updated_by"`
	OwnerDetails    *OwnerDetails     `json:"owner_details,omitempty"`
	DealDetails     []DealDetail      `json:"deal_details"`
	SubOwnerDetails json.RawMessage   `json:"sub_owner_details,omitempty"`
	CustomField     []CustomField     `json:"custom_field"`
	CField          map[string]string `json:"c_field,omitempty"`
	ViewOnly        bool              `json:"view_only"`
}

// ContactSaveDto is the body of create (POST), update (PATCH) and replace
// (PUT). Zero values are omitted, so a PATCH carries only what it sets.
type ContactSaveDto struct {
	ID               ID            `json:"id,omitempty"`
	Name             string        `json:"name,omitempty"`
	Email            string        `json:"email,omitempty"`
	CountryCode      string        `json:"country_code,omitempty"`
	Phone            string        `json:"phone,omitempty"`
	Address          string        `json:"address,omitempty"`
	Note             string        `json:"note,omitempty"`
	Logo             string        `json:"logo,omitempty"`
	LabelID          ID            `json:"label_id,omitempty"`
	VisibilityType   string        `json:"visibility_type,omitempty"`
	VisibilityIDs    string        `json:"visibility_ids,omitempty"`
	Type             string        `json:"type,omitempty"`
	PersonIDs        []ID          `json:"person_ids,omitempty"`
	PersonNames      []string      `json:"person_names,omitempty"`
	OrganizationID   ID            `json:"organization_id,omitempty"`
	OrganizationName string        `json:"organization_name,omitempty"`
	OwnerID          ID            `json:"owner_id,omitempty"`
	SubOwnerIDs      []ID          `json:"sub_owner_ids,omitempty"`
	CustomField      []CustomField `json:"custom_field,omitempty"`
}

// BulkUpdateContact is the body of the bulk PATCH /v1/crm/contacts: the
// same label, owner or visibility applied to every contact in IDs.
type BulkUpdateContact struct {
	IDs            []ID   `json:"ids"`
	LabelID        ID     `json:"label_id,omitempty"`
	OwnerID        ID     `json:"owner_id,omitempty"`
	VisibilityType string `json:"visibility_type,omitempty"`
	VisibilityIDs  string `json:"visibility_ids,omitempty"`
}

// MultipleContactsByIDRequest is the body of POST /v1/crm/contacts/multiple.
type MultipleContactsByIDRequest struct {
	ContactIDs []ID `json:"contact_ids"`
}

// PaginationInfo is the paginationInfo object of a contact list.
type PaginationInfo struct {
	Page         int `json:"page"`
	TotalRecords int `json:"totalRecords"`
}

// ContactList is one page of GET /v1/crm/contacts.
type ContactList struct {
	Data           []Contact      `json:"data"`
	PaginationInfo PaginationInfo `json:"paginationInfo"`
}

// ListContactsOptions are the documented query parameters of
// GET /v1/crm/contacts. Zero values are not sent.
type ListContactsOptions struct {
	Columns       []string
	ContainsEmail *bool
	Limit         int
	Page          int
	OrderBy       string // sent as orderBy
	OrderByAlt    string // sent as order_by
	Order         string
	Sort          string
	Search        string
	Type          string
	ContactIDs    []ID // sent comma-separated as contact_ids
	Action        string
	Name          string
	Email         string
	Phone         string
}
