package deskeratest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/leadhook/leadhook/deskera"
)

// AddContact stores c as if it had been created (id assigned when zero,
// defaults, label, owner details and timestamps filled in) and returns the
// stored contact.
func (f *Fake) AddContact(c deskera.Contact) deskera.Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	dto := deskera.ContactSaveDto{Name: c.Name, Email: c.Email, CountryCode: c.CountryCode,
		Phone: c.Phone, Address: c.Address, Note: c.Note, LabelID: c.LabelID,
		VisibilityType: c.VisibilityType, Type: c.Type, OrganizationID: c.OrganizationID,
		OwnerID: c.OwnerID, SubOwnerIDs: c.SubOwnerIDs, CustomField: c.CustomField}
	if _, ok := f.labels[dto.LabelID]; !ok {
		dto.LabelID = 1
	}
	return f.insert(deskera.Contact{ID: c.ID}, &dto)
}

// SeedContacts adds n generated contacts ("Contact <i>",
// contact<i>@example.com) and returns their ids in order.
func (f *Fake) SeedContacts(n int) []deskera.ID {
	ids := make([]deskera.ID, 0, n)
	for i := 1; i <= n; i++ {
		c := f.AddContact(deskera.Contact{
			Name:  fmt.Sprintf("Contact %d", i),
			Email: fmt.Sprintf("contact%d@example.com", i),
			Phone: fmt.Sprintf("9%09d", i),
		})
		ids = append(ids, c.ID)
	}
	return ids
}

// Contacts returns copies of all contacts sorted by id.
func (f *Fake) Contacts() []deskera.Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	return inIDOrder(f.contacts, cloneContact)
}

// inIDOrder returns copies (made by clone) of the records of one of the
// fake's id-keyed maps, sorted by id: what Contacts and Labels hand out.
// The caller holds f.mu.
func inIDOrder[V, T any](records map[deskera.ID]V, clone func(V) T) []T {
	out := make([]T, 0, len(records))
	for _, id := range slices.Sorted(maps.Keys(records)) {
		out = append(out, clone(records[id]))
	}
	return out
}

// Contact returns a copy of contact id.
func (f *Fake) Contact(id deskera.ID) (deskera.Contact, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.contacts[id]
	if !ok {
		return deskera.Contact{}, false
	}
	return cloneContact(c), true
}
