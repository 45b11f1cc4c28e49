package deskera_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

// TestContactFieldsCoverSaveBody fails when a ContactSaveDto field has no
// entry in deskera.ContactFields (it would compile, and silently never be
// merged, diffed or patched), or when an entry does not handle its field.
func TestContactFieldsCoverSaveBody(t *testing.T) {
	byName := map[string]deskera.ContactField{}
	for _, f := range deskera.ContactFields {
		if _, dup := byName[f.Name]; dup {
			t.Errorf("field %q is listed twice", f.Name)
		}
		byName[f.Name] = f
	}
	typ := reflect.TypeFor[deskera.ContactSaveDto]()
	for i := range typ.NumField() {
		sf := typ.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "id" || name == "custom_field" {
			continue // the id names the contact; custom fields merge by entry
		}
		f, ok := byName[name]
		if !ok {
			t.Errorf("ContactSaveDto.%s (%q) is missing from deskera.ContactFields", sf.Name, name)
			continue
		}
		delete(byName, name)
		t.Run(name, func(t *testing.T) { checkField(t, f, i) })
	}
	for name := range byName {
		t.Errorf("deskera.ContactFields lists %q, which ContactSaveDto lacks", name)
	}
}

// checkField sets struct field i of a body and checks that the entry
// sees it, merges it and clears it.
func checkField(t *testing.T, f deskera.ContactField, i int) {
	var src, dst deskera.ContactSaveDto
	if !f.Empty(&src) {
		t.Fatal("a zero body is not empty")
	}
	fill(reflect.ValueOf(&src).Elem().Field(i))
	if f.Empty(&src) {
		t.Fatal("Empty does not see the field set")
	}
	if f.Name == "person_ids" {
		return // never set by leadhook: not merged
	}
	f.Merge(&dst, &src)
	if got, want := reflect.ValueOf(dst).Field(i).Interface(), reflect.ValueOf(src).Field(i).Interface(); !reflect.DeepEqual(got, want) {
		t.Errorf("Merge copied %v, want %v", got, want)
	}
	f.Clear(&src)
	if !f.Empty(&src) {
		t.Error("Clear leaves the field set")
	}
}

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int64:
		v.SetInt(7)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	}
}

// TestContactFieldsPatch checks the PATCH of every compared field: a body
// patched onto a contact leaves nothing to change.
func TestContactFieldsPatch(t *testing.T) {
	d := deskera.ContactSaveDto{Name: "Jane", Email: "jane@acme.io", CountryCode: "+65", Phone: "+65 8575 8458",
		Address: "1 Main St", Note: "n", Type: "person", VisibilityType: "team", LabelID: 3, OwnerID: 4,
		OrganizationID: 5, SubOwnerIDs: []deskera.ID{6}}
	var c deskera.Contact
	for _, f := range deskera.ContactFields {
		if f.Patch != nil {
			f.Patch(&c, &d)
		}
	}
	for _, f := range deskera.ContactFields {
		if f.Same != nil && !f.Same(&d, &c) {
			t.Errorf("%s: still differs after the PATCH", f.Name)
		}
	}
}
