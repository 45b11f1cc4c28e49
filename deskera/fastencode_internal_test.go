package deskera

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// checkEncode fails t when encode's bytes for d are not json.Marshal's;
// it reports whether the direct encoder wrote them.
func checkEncode(t *testing.T, d *ContactSaveDto) bool {
	t.Helper()
	want, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	_, direct := appendSaveDto(nil, d)
	p, err := encode(&request{op: "contacts.create", body: d})
	if err != nil {
		t.Fatal(err)
	}
	defer p.release()
	if got := p.bytes(); string(got) != string(want) {
		t.Fatalf("encode(%#v)\n= %s\nwant %s", d, got, want)
	}
	return direct
}

// A lead's create and patch bodies are written directly, as json.Marshal
// writes them; a string json.Marshal escapes is left to it.
func TestEncodeSaveDto(t *testing.T) {
	lead := &ContactSaveDto{Name: "Jane Example", Email: "max-1@acme-industrial.example", Phone: "+65 8575 8458", CountryCode: "SG",
		LabelID: 4, OwnerID: 2675, Type: "person", OrganizationName: "Acme Industrial Automation Pte Ltd",
		CustomField: []CustomField{{Label: "Lead source", ShortName: "Lead source", Value: "website"}, {Code: "C-1", Value: ""}}}
	for _, d := range []*ContactSaveDto{
		lead,
		{},
		{LabelID: 5},
		{ID: -3, PersonIDs: []ID{1, 2}, PersonNames: []string{"a", ""}, SubOwnerIDs: []ID{}, CustomField: []CustomField{}, VisibilityIDs: "1,2"},
		{Note: strings.Repeat("long note ", 100)},
	} {
		if !checkEncode(t, d) {
			t.Errorf("%#v: not written directly", d)
		}
	}
	for _, d := range []*ContactSaveDto{
		{Name: `Jane "J" Example`}, {Name: "Zoë"}, {Note: "a<b>&c"}, {Address: "line\nbreak"}, {Name: "\xff"},
		{CustomField: []CustomField{{Value: "\u2028"}}}, {PersonNames: []string{`\`}},
	} {
		if checkEncode(t, d) {
			t.Errorf("%#v: written directly, though json.Marshal escapes it", d)
		}
	}
	if _, err := encode(&request{body: (*ContactSaveDto)(nil)}); err != nil {
		t.Fatal(err)
	}
}

// FuzzEncodeSaveDto: whatever the direct encoder writes is json.Marshal's
// bytes.
func FuzzEncodeSaveDto(f *testing.F) {
	f.Add("Jane Example", "jane@acme.example", "+65 8575 8458", "Lead score", "105", int64(4), int64(2675), true)
	f.Add(`a"b`, "<x>", "\xff", "\u2028", "", int64(0), int64(-1), false)
	f.Fuzz(func(t *testing.T, name, email, phone, label, value string, labelID, owner int64, custom bool) {
		d := &ContactSaveDto{Name: name, Email: email, Phone: phone, LabelID: ID(labelID), OwnerID: ID(owner),
			PersonNames: []string{value}, SubOwnerIDs: []ID{ID(owner), ID(labelID)}}
		if custom {
			d.CustomField = []CustomField{{Label: label, ShortName: label, Value: value}, {Code: name}}
		}
		checkEncode(t, d)
	})
}

// fillAll sets every field reachable from v to a value no other field
// has, so that a field a hand-written coder forgets shows as a difference.
func fillAll(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			fillAll(v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), n)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(k, n)
		fillAll(e, n)
		v.SetMapIndex(k, e)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte("[" + strconv.Itoa(*n) + "]"))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fillAll(v.Index(0), n)
		fillAll(v.Index(1), n)
	default:
		panic("fillAll: no value for " + v.Type().String())
	}
}

// TestHandWrittenCodersKnowEveryField: the direct encoder writes every
// field of ContactSaveDto and the fast decoder reads every field of
// Contact (and of what it holds): a field added to either type without
// its line in fastencode.go or fastdecode.go fails here.
func TestHandWrittenCodersKnowEveryField(t *testing.T) {
	var dto ContactSaveDto
	n := 0
	fillAll(reflect.ValueOf(&dto).Elem(), &n)
	if !checkEncode(t, &dto) {
		t.Fatalf("%#v: not written directly", dto)
	}
	var c Contact
	fillAll(reflect.ValueOf(&c).Elem(), &n)
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if !checkFast(t, 0, b) {
		t.Fatalf("the fast decoder gave up on %s", b)
	}
	l, err := json.Marshal(ContactList{Data: []Contact{c}, PaginationInfo: PaginationInfo{Page: 2, TotalRecords: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !checkFast(t, 1, l) {
		t.Fatalf("the fast decoder gave up on %s", l)
	}
}

// BenchmarkEncodeSaveDto is a lead's create body: direct is encode's
// path, std encoding/json's.
func BenchmarkEncodeSaveDto(b *testing.B) {
	dto := &ContactSaveDto{Name: "Jane Example", Email: "max-1@acme-industrial.example", Phone: "+65 8575 8458", LabelID: 4, OwnerID: 2675,
		Type: "person", CountryCode: "SG", CustomField: []CustomField{{Label: "Lead source", ShortName: "Lead source", Value: "website"},
			{Label: "Lead score", ShortName: "Lead score", Value: "105"}}}
	b.Run("direct", func(b *testing.B) {
		r := &request{body: dto}
		b.ReportAllocs()
		for b.Loop() {
			p, err := encode(r)
			if err != nil {
				b.Fatal(err)
			}
			p.release()
		}
	})
	b.Run("std", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf := getBuf()
			if err := json.NewEncoder(buf).Encode(dto); err != nil {
				b.Fatal(err)
			}
			putBuf(buf)
		}
	})
}
