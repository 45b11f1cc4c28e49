package deskeratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

func (f *Fake) listContacts(w http.ResponseWriter, r *http.Request, _ string, _ []byte) {
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	all := q.filter(f.order, f.contacts)
	q.sort(all)
	start := min((q.page-1)*q.limit, len(all))
	end := min(start+q.limit, len(all))
	page := make([]deskera.Contact, 0, end-start)
	for _, c := range all[start:end] {
		page = append(page, cloneContact(c))
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, deskera.ContactList{
		Data:           page,
		PaginationInfo: deskera.PaginationInfo{Page: q.page, TotalRecords: len(all)},
	})
}

func (f *Fake) getContact(w http.ResponseWriter, _ *http.Request, s string, _ []byte) {
	writeByID(w, s, "contact", f.Contact)
}

// multipleContacts serves POST /v1/crm/contacts/multiple. The document
// shows the body {"contact_ids": [...]} and a bare array of contacts; it
// does not say what happens to unknown ids, in which order the contacts
// come, or how many ids one call may carry. Assumptions here (the client
// must not depend on more): unknown ids are left out (no 404); the answer
// keeps the request's order but callers match contacts by id; more than
// MaxLimit ids are refused with 400 (the strict reading; the client sends
// at most deskera.MaxMultipleIDs). An empty list is a 400 too.
func (f *Fake) multipleContacts(w http.ResponseWriter, _ *http.Request, _ string, body []byte) {
	var req deskera.MultipleContactsByIDRequest
	if !decodeBody(w, body, &req) {
		return
	}
	if len(req.ContactIDs) == 0 || len(req.ContactIDs) > MaxLimit {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("contact_ids must list 1 to %d ids, not %d", MaxLimit, len(req.ContactIDs)))
		return
	}
	out := []deskera.Contact{}
	for _, id := range req.ContactIDs {
		if c, ok := f.Contact(id); ok {
			out = append(out, c)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) createContact(w http.ResponseWriter, _ *http.Request, _ string, body []byte) {
	var dto deskera.ContactSaveDto
	if !decodeBody(w, body, &dto) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.valid(w, &dto) {
		return
	}
	c := f.insert(deskera.Contact{}, &dto)
	writeJSON(w, http.StatusOK, c)
}

func (f *Fake) updateContact(w http.ResponseWriter, _ *http.Request, s string, body []byte) {
	f.modify(w, s, body, patchContact)
}

func (f *Fake) replaceContact(w http.ResponseWriter, _ *http.Request, s string, body []byte) {
	f.modify(w, s, body, replaceContact)
}

// modify applies a PATCH or PUT body to contact s and answers 201 with an
// empty body, as Deskera does.
func (f *Fake) modify(w http.ResponseWriter, s string, body []byte, apply func(*deskera.Contact, *deskera.ContactSaveDto)) {
	modifyByID(f, w, s, "contact", body, func(id deskera.ID) (*deskera.Contact, bool) {
		c, ok := f.contacts[id]
		return c, ok
	}, func(_ deskera.ID, c *deskera.Contact, dto *deskera.ContactSaveDto) bool {
		if !f.valid(w, dto) {
			return false
		}
		apply(c, dto)
		f.stamp(c)
		return true
	})
}

func (f *Fake) deleteContact(w http.ResponseWriter, _ *http.Request, s string, _ []byte) {
	f.deleteByID(w, s, "contact", func(id deskera.ID) bool {
		if _, ok := f.contacts[id]; !ok {
			return false
		}
		delete(f.contacts, id)
		if i, ok := slices.BinarySearch(f.order, id); ok {
			f.order = slices.Delete(f.order, i, i+1)
		}
		return true
	})
}

// bulkUpdate applies label, owner and visibility to every listed contact
// that exists (unknown ids are skipped) and answers 201 with an empty body.
// One body may set several of them at once (the document's sample sets
// label_id, owner_id and visibility_type together); a zero label_id or
// owner_id leaves that field alone.
// The document gives no limit on ids; the fake takes any number (leadhook
// sends at most sweep chunk_size, 1..1000).
func (f *Fake) bulkUpdate(w http.ResponseWriter, _ *http.Request, _ string, body []byte) {
	var req deskera.BulkUpdateContact
	if !decodeBody(w, body, &req) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dto := deskera.ContactSaveDto{LabelID: req.LabelID, OwnerID: req.OwnerID,
		VisibilityType: req.VisibilityType, VisibilityIDs: req.VisibilityIDs}
	if len(req.IDs) == 0 {
		writeError(w, http.StatusBadRequest, "ids is required")
		return
	}
	if !f.valid(w, &dto) {
		return
	}
	for _, id := range req.IDs {
		if c, ok := f.contacts[id]; ok {
			patchContact(c, &dto)
			f.stamp(c)
		}
	}
	writeEmpty(w, http.StatusCreated)
}

// valid answers 400 with the reason and reports false when dto names an
// unknown label or type, as decodeBody does for a body that does not
// decode; f.mu must be held.
func (f *Fake) valid(w http.ResponseWriter, dto *deskera.ContactSaveDto) bool {
	if _, ok := f.labels[dto.LabelID]; dto.LabelID != 0 && !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("label %d not found", dto.LabelID))
		return false
	}
	if dto.Type != "" && dto.Type != "person" && dto.Type != "organization" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("type %q must be person or organization", dto.Type))
		return false
	}
	return true
}

// insert stores a new contact built from base and dto; f.mu must be held.
func (f *Fake) insert(base deskera.Contact, dto *deskera.ContactSaveDto) deskera.Contact {
	c := base
	replaceContact(&c, dto)
	if c.ID == 0 {
		c.ID = f.nextContact
	}
	f.nextContact = max(f.nextContact, c.ID+1)
	if c.Type == "" {
		c.Type = "person"
	}
	if c.VisibilityType == "" {
		c.VisibilityType = "private"
	}
	c.TenantID = TenantID
	if c.Persons == nil {
		c.Persons, c.Organization = json.RawMessage("[]"), json.RawMessage("{}")
	}
	c.CreatedBy, c.UpdatedBy = c.OwnerID, c.OwnerID
	c.CreatedAt = f.now().UTC().Format(time.RFC3339Nano)
	f.stamp(&c)
	if _, exists := f.contacts[c.ID]; !exists {
		i, _ := slices.BinarySearch(f.order, c.ID)
		f.order = slices.Insert(f.order, i, c.ID)
	}
	f.contacts[c.ID] = &c
	return c
}

// stamp refreshes the derived fields of c; f.mu must be held.
func (f *Fake) stamp(c *deskera.Contact) {
	if c.OwnerID == 0 {
		c.OwnerID = OwnerID
	}
	if c.LabelID == 0 {
		c.LabelID = 1
	}
	l := f.labels[c.LabelID]
	c.Label = &deskera.LabelRef{ID: c.LabelID, Name: l.Name}
	c.OwnerDetails = ownerDetails(c.OwnerID)
	c.UpdatedBy = c.OwnerID
	c.UpdatedAt = f.now().UTC().Format(time.RFC3339Nano)
	c.CField = map[string]string{}
	for i := range c.CustomField {
		if c.CustomField[i].ShortName == "" {
			c.CustomField[i].ShortName = c.CustomField[i].Label
		}
		c.CField[c.CustomField[i].ShortName] = c.CustomField[i].Value
	}
}

func ownerDetails(id deskera.ID) *deskera.OwnerDetails {
	return &deskera.OwnerDetails{ID: id, FirstName: "Test", LastName: "User",
		Email:   "owner" + strconv.FormatInt(int64(id), 10) + "@example.com",
		Contact: "+6585758458", Role: "User", Status: "active"}
}

// patchContact applies the non-zero fields of dto (a PATCH).
func patchContact(c *deskera.Contact, dto *deskera.ContactSaveDto) {
	for _, f := range deskera.ContactFields {
		if f.Patch != nil {
			f.Patch(c, dto)
		}
	}
	// The API document does not say whether a PATCH merges custom_field
	// with the contact's list or replaces it. The fake takes the unsafe
	// reading and REPLACES the whole list (as a PUT-style API would), so a
	// client that sends only the changed entry loses the others here and
	// tests catch it; leadhook always sends the full merged list.
	if dto.CustomField != nil {
		c.CustomField = append([]deskera.CustomField(nil), dto.CustomField...)
	}
}

// replaceContact overwrites every editable field with dto (a PUT).
func replaceContact(c *deskera.Contact, dto *deskera.ContactSaveDto) {
	c.Name, c.Email, c.CountryCode, c.Phone = dto.Name, dto.Email, dto.CountryCode, dto.Phone
	c.Address, c.Note, c.Type, c.VisibilityType = dto.Address, dto.Note, dto.Type, dto.VisibilityType
	c.VisibilityIDs = nil
	if dto.VisibilityIDs != "" {
		c.VisibilityIDs = quoteJSON(dto.VisibilityIDs)
	}
	c.LabelID, c.OwnerID, c.OrganizationID = dto.LabelID, dto.OwnerID, dto.OrganizationID
	c.SubOwnerIDs = append([]deskera.ID{}, dto.SubOwnerIDs...)
	c.CustomField = append([]deskera.CustomField{}, dto.CustomField...)
}

func setStr(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
