package deskera

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/leadhook/leadhook/internal/digits"
)

// ContactField is one field of a contact save body, spelled once: how
// bodies merge, how a body is diffed against the stored contact, and what
// a PATCH does to the contact (the fake applies PATCHes with it). Every
// ContactSaveDto field except ID and CustomField (merged by entry, see
// the engine) has one; a test fails when one is missing.
type ContactField struct {
	// Name is the field's JSON key (and its name under `set:` in rules).
	Name string
	// Empty reports whether d leaves the field unset.
	Empty func(d *ContactSaveDto) bool
	// Merge overlays src's value on dst when src sets it.
	Merge func(dst, src *ContactSaveDto)
	// Same reports whether c already holds d's value; nil when Deskera
	// does not return the field, so it cannot be compared.
	Same func(d *ContactSaveDto, c *Contact) bool
	// Patch applies d's value, when set, to c; nil when the contact does
	// not keep the field.
	Patch func(c *Contact, d *ContactSaveDto)
	// WriteOnly fields ride along with a PATCH other changes make but
	// never cause one: Deskera does not give them back to compare.
	WriteOnly bool
	// Clear unsets the field in d.
	Clear func(d *ContactSaveDto)
}

// ContactFields lists every field of ContactSaveDto but ID and CustomField.
var ContactFields = []ContactField{
	text("name", func(d *ContactSaveDto) *string { return &d.Name }, func(c *Contact) *string { return &c.Name }, equal),
	text("email", func(d *ContactSaveDto) *string { return &d.Email }, func(c *Contact) *string { return &c.Email }, strings.EqualFold),
	text("country_code", func(d *ContactSaveDto) *string { return &d.CountryCode }, func(c *Contact) *string { return &c.CountryCode }, equal),
	text("phone", func(d *ContactSaveDto) *string { return &d.Phone }, func(c *Contact) *string { return &c.Phone }, samePhone),
	text("address", func(d *ContactSaveDto) *string { return &d.Address }, func(c *Contact) *string { return &c.Address }, equal),
	text("note", func(d *ContactSaveDto) *string { return &d.Note }, func(c *Contact) *string { return &c.Note }, equal),
	text("type", func(d *ContactSaveDto) *string { return &d.Type }, func(c *Contact) *string { return &c.Type }, equal),
	text("visibility_type", func(d *ContactSaveDto) *string { return &d.VisibilityType }, func(c *Contact) *string { return &c.VisibilityType }, equal),
	{Name: "visibility_ids", Empty: func(d *ContactSaveDto) bool { return d.VisibilityIDs == "" },
		Merge: func(dst, src *ContactSaveDto) { setText(&dst.VisibilityIDs, src.VisibilityIDs) },
		Patch: func(c *Contact, d *ContactSaveDto) {
			if d.VisibilityIDs != "" {
				c.VisibilityIDs, _ = json.Marshal(d.VisibilityIDs)
			}
		},
		Clear: func(d *ContactSaveDto) { d.VisibilityIDs = "" }},
	writeOnlyText("logo", func(d *ContactSaveDto) *string { return &d.Logo }),
	writeOnlyText("organization_name", func(d *ContactSaveDto) *string { return &d.OrganizationName }),
	id("label_id", func(d *ContactSaveDto) *ID { return &d.LabelID }, func(c *Contact) *ID { return &c.LabelID }),
	id("owner_id", func(d *ContactSaveDto) *ID { return &d.OwnerID }, func(c *Contact) *ID { return &c.OwnerID }),
	id("organization_id", func(d *ContactSaveDto) *ID { return &d.OrganizationID }, func(c *Contact) *ID { return &c.OrganizationID }),
	{Name: "sub_owner_ids", Empty: func(d *ContactSaveDto) bool { return len(d.SubOwnerIDs) == 0 },
		Merge: func(dst, src *ContactSaveDto) { setList(&dst.SubOwnerIDs, src.SubOwnerIDs) },
		Same:  func(d *ContactSaveDto, c *Contact) bool { return slices.Equal(d.SubOwnerIDs, c.SubOwnerIDs) },
		Patch: func(c *Contact, d *ContactSaveDto) { setList(&c.SubOwnerIDs, d.SubOwnerIDs) },
		Clear: func(d *ContactSaveDto) { d.SubOwnerIDs = nil }},
	{Name: "person_names", WriteOnly: true, Empty: func(d *ContactSaveDto) bool { return len(d.PersonNames) == 0 },
		Merge: func(dst, src *ContactSaveDto) { setList(&dst.PersonNames, src.PersonNames) },
		Clear: func(d *ContactSaveDto) { d.PersonNames = nil }},
	// person_ids is never set by leadhook; it is listed so that bodies
	// carrying it are not taken for empty ones.
	{Name: "person_ids", Empty: func(d *ContactSaveDto) bool { return len(d.PersonIDs) == 0 },
		Merge: func(*ContactSaveDto, *ContactSaveDto) {},
		Clear: func(d *ContactSaveDto) { d.PersonIDs = nil }},
}

func equal(a, b string) bool { return a == b }

// samePhone compares phone numbers by their digits.
func samePhone(a, b string) bool { return a != "" && digits.Of(a) == digits.Of(b) }

func text(name string, field func(*ContactSaveDto) *string, cur func(*Contact) *string, same func(a, b string) bool) ContactField {
	f := writeOnlyText(name, field)
	f.WriteOnly = false
	f.Same = func(d *ContactSaveDto, c *Contact) bool { return same(*field(d), *cur(c)) }
	f.Patch = func(c *Contact, d *ContactSaveDto) { setText(cur(c), *field(d)) }
	return f
}

func writeOnlyText(name string, field func(*ContactSaveDto) *string) ContactField {
	return ContactField{Name: name, WriteOnly: true,
		Empty: func(d *ContactSaveDto) bool { return *field(d) == "" },
		Merge: func(dst, src *ContactSaveDto) { setText(field(dst), *field(src)) },
		Clear: func(d *ContactSaveDto) { *field(d) = "" }}
}

func id(name string, field func(*ContactSaveDto) *ID, cur func(*Contact) *ID) ContactField {
	return ContactField{Name: name,
		Empty: func(d *ContactSaveDto) bool { return *field(d) == 0 },
		Merge: func(dst, src *ContactSaveDto) { setID(field(dst), *field(src)) },
		Same:  func(d *ContactSaveDto, c *Contact) bool { return *field(d) == *cur(c) },
		Patch: func(c *Contact, d *ContactSaveDto) { setID(cur(c), *field(d)) },
		Clear: func(d *ContactSaveDto) { *field(d) = 0 }}
}

func setText(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setID(dst *ID, v ID) {
	if v != 0 {
		*dst = v
	}
}

func setList[T any](dst *[]T, v []T) {
	if v != nil {
		*dst = v
	}
}
