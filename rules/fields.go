package rules

import (
	"fmt"
	"math"
	"strconv"
)

// ContactFields are the contact fields an action sets (ContactSaveDto
// fields by their JSON names). Zero values are not set.
type ContactFields struct {
	Name             string            `json:"name,omitempty"`
	Email            string            `json:"email,omitempty"`
	CountryCode      string            `json:"country_code,omitempty"`
	Phone            string            `json:"phone,omitempty"`
	Address          string            `json:"address,omitempty"`
	Note             string            `json:"note,omitempty"`
	Logo             string            `json:"logo,omitempty"`
	Type             string            `json:"type,omitempty"`
	OrganizationName string            `json:"organization_name,omitempty"`
	OrganizationID   int64             `json:"organization_id,omitempty"`
	OwnerID          int64             `json:"owner_id,omitempty"`
	Label            string            `json:"label,omitempty"`
	LabelID          int64             `json:"label_id,omitempty"`
	VisibilityType   string            `json:"visibility_type,omitempty"`
	VisibilityIDs    string            `json:"visibility_ids,omitempty"`
	PersonNames      []string          `json:"person_names,omitempty"`
	SubOwnerIDs      []int64           `json:"sub_owner_ids,omitempty"`
	Custom           map[string]string `json:"custom,omitempty"`
}

// FieldSpec documents one settable contact field (the keys of `set`).
type FieldSpec struct {
	Name string
	Type string
	Doc  string
	kind exprKind
	set  func(f *ContactFields, v any) error
}

// ContactFieldSpecs returns the fields `set:` accepts, in reference order.
func ContactFieldSpecs() []FieldSpec {
	s := func(name, doc string, dst func(*ContactFields) *string) FieldSpec {
		return FieldSpec{Name: name, Type: "string", Doc: doc, kind: kindString, set: func(f *ContactFields, v any) error {
			str, err := asString(v)
			*dst(f) = str
			return err
		}}
	}
	i := func(name, doc string, dst func(*ContactFields) *int64) FieldSpec {
		return FieldSpec{Name: name, Type: "integer", Doc: doc, kind: kindInt, set: func(f *ContactFields, v any) error {
			n, err := asInt(v)
			*dst(f) = n
			return err
		}}
	}
	return []FieldSpec{
		s("name", "Contact name.", func(f *ContactFields) *string { return &f.Name }),
		s("email", "Email address.", func(f *ContactFields) *string { return &f.Email }),
		s("phone", "Phone number.", func(f *ContactFields) *string { return &f.Phone }),
		s("country_code", "Dialling code, e.g. \"+65\".", func(f *ContactFields) *string { return &f.CountryCode }),
		s("address", "Postal address.", func(f *ContactFields) *string { return &f.Address }),
		s("note", "Free-text note.", func(f *ContactFields) *string { return &f.Note }),
		s("logo", "Logo URL.", func(f *ContactFields) *string { return &f.Logo }),
		s("type", "\"person\" or \"organization\".", func(f *ContactFields) *string { return &f.Type }),
		s("organization_name", "Organization (company) name.", func(f *ContactFields) *string { return &f.OrganizationName }),
		i("organization_id", "Organization contact id.", func(f *ContactFields) *int64 { return &f.OrganizationID }),
		i("owner_id", "Owner user id.", func(f *ContactFields) *int64 { return &f.OwnerID }),
		s("label", "Label name, resolved to its id (a constant must be declared under labels).", func(f *ContactFields) *string { return &f.Label }),
		i("label_id", "Label id.", func(f *ContactFields) *int64 { return &f.LabelID }),
		s("visibility_type", "Visibility, e.g. \"team\".", func(f *ContactFields) *string { return &f.VisibilityType }),
		s("visibility_ids", "Visibility ids (comma-separated).", func(f *ContactFields) *string { return &f.VisibilityIDs }),
		{Name: "person_names", Type: "list of strings", Doc: "People of an organization.", kind: kindList,
			set: func(f *ContactFields, v any) (err error) { f.PersonNames, err = asStrings(v); return err }},
		{Name: "sub_owner_ids", Type: "list of integers", Doc: "Sub-owner user ids.", kind: kindList,
			set: func(f *ContactFields, v any) (err error) { f.SubOwnerIDs, err = asInts(v); return err }},
	}
}

func asString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case int, int64, float64, bool:
		return ValueText(x), nil
	}
	return "", fmt.Errorf("expected a string, got %s", valueKind(v))
}

func asInt(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("expected an integer, got %v", x)
		}
		return int64(x), nil
	case string:
		if x == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("expected an integer, got %q", x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("expected an integer, got %s", valueKind(v))
}

func asStrings(v any) ([]string, error) { return asList(v, "strings", asString) }

func asInts(v any) ([]int64, error) { return asList(v, "integers", asInt) }

// asList converts each item of a list with elem (a []T is taken as it
// is); what names the items in the error.
func asList[T any](v any, what string, elem func(any) (T, error)) ([]T, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []T:
		return x, nil
	case []any:
		out := make([]T, 0, len(x))
		for _, e := range x {
			t, err := elem(e)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a list of %s, got %s", what, valueKind(v))
}
