package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// TestContactDTOMapsEveryField fails when a field an action can set
// (rules.ContactFields) has no Deskera field, or when contactDTO does not
// carry it into the save body.
func TestContactDTOMapsEveryField(t *testing.T) {
	var f rules.ContactFields
	v := reflect.ValueOf(&f).Elem()
	set := map[string]bool{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			fv.SetString("x")
		case reflect.Int64:
			fv.SetInt(7)
		case reflect.Slice:
			s := reflect.MakeSlice(fv.Type(), 1, 1)
			if s.Index(0).Kind() == reflect.String {
				s.Index(0).SetString("x")
			} else {
				s.Index(0).SetInt(7)
			}
			fv.Set(s)
		case reflect.Map:
			fv.Set(reflect.ValueOf(map[string]string{"Budget": "x"}))
		}
		set[name] = true
	}
	d := contactDTO(&f)
	for _, cf := range deskera.ContactFields {
		if cf.Name == "person_ids" {
			continue // not settable in rules
		}
		if !set[cf.Name] {
			t.Errorf("rules.ContactFields lacks %q", cf.Name)
		} else if cf.Empty(&d) {
			t.Errorf("contactDTO drops %q", cf.Name)
		}
		delete(set, cf.Name)
	}
	delete(set, "label") // resolved to label_id by the engine
	if len(d.CustomField) != 1 {
		t.Errorf("contactDTO carries %d custom fields, want 1", len(d.CustomField))
	}
	delete(set, "custom")
	for name := range set {
		t.Errorf("rules.ContactFields has %q, which deskera.ContactFields lacks", name)
	}
}
