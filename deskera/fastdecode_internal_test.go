package deskera

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// benchReply is the create reply of the load benchmark's stub to a lead
// of rules.example.yaml: the POST's body echoed with an id and camel-case
// timestamps (unknown fields, like organization_name).
const benchReply = `{"createdAt":"2026-12-03T11:51:14.710608835Z","custom_field":[{"label":"Lead source","shortName":"Lead source"` +
	`,"value":"website / google"},{"label":"Lead score","shortName":"Lead score","value":"105"},{"label":"Lead scor` +
	`e at","shortName":"Lead score at","value":"2026-12-03T11:51:14Z"},{"label":"Lead score parts","shortName":"Lea` +
	`d score parts","value":"business_email=20; budget=40; company_size=15; buying_intent=25; has_phone=5"}],"email` +
	`":"max-1@acme-industrial.example","id":1001,"label_id":4,"name":"Jane Example","note":"Hello, we are evaluatin` +
	`g CRM automation for our sales team of 50 and would like pricing for the team plan, plus a demo next week if p` +
	`ossible. We currently use spreadsheets and lose track of inbound enquiries. Thanks, Jane.","organization_name"` +
	`:"Acme Industrial Automation Pte Ltd","owner_id":2675,"phone":"+65 8575 8458","updatedAt":"2026-12-03T11:51:14` +
	`.710608835Z"}`

// fastTargets are the reply types the fast decoder knows, each with how
// to decode b into a fresh one the fast way and the encoding/json way.
var fastTargets = []struct {
	name string
	fast func(b []byte) (any, bool)
	std  func(b []byte) (any, error)
}{
	{"contact", func(b []byte) (any, bool) {
		var c *Contact
		ok := decodeKnown(b, &c)
		return c, ok
	}, func(b []byte) (any, error) {
		var c *Contact
		err := json.Unmarshal(b, &c)
		return c, err
	}},
	{"list", func(b []byte) (any, bool) {
		var l ContactList
		ok := decodeKnown(b, &l)
		return l, ok
	}, func(b []byte) (any, error) {
		var l ContactList
		err := json.Unmarshal(b, &l)
		return l, err
	}},
	{"multiple", func(b []byte) (any, bool) {
		var cs []Contact
		ok := decodeKnown(b, &cs)
		return cs, ok
	}, func(b []byte) (any, error) {
		var cs []Contact
		err := json.Unmarshal(b, &cs)
		return cs, err
	}},
}

// checkFast fails t when the fast decoder decoded b differently from
// encoding/json (or accepted what encoding/json refuses); it reports
// whether the fast decoder decoded b as target i.
func checkFast(t *testing.T, i int, b []byte) bool {
	t.Helper()
	tg := fastTargets[i]
	got, ok := tg.fast(b)
	if !ok {
		return false
	}
	want, err := tg.std(b)
	if err != nil {
		t.Fatalf("%s: fast decoder accepted %q, encoding/json: %v", tg.name, b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %q\nfast:          %#v\nencoding/json: %#v", tg.name, b, got, want)
	}
	return true
}

// The replies every lead costs, and Deskera's documented samples, take
// the fast path and decode exactly as encoding/json decodes them.
func TestFastDecodeKnownReplies(t *testing.T) {
	cases := []struct {
		target int
		body   string
	}{
		{0, benchReply},
		{1, `{"data":[],"paginationInfo":{"page":1,"totalRecords":0}}`},
		{1, `{"data":[` + benchReply + `],"paginationInfo":{"page":1,"totalRecords":1}}`},
		{2, `[` + benchReply + `,null]`},
		{0, `{"id":"14","label":null,"label_id":"","owner_id":null,"sub_owner_ids":[1,"2"],"c_field":{"a":"b","c":null},` +
			`"visibility_ids":null,"persons":[],"organization":{"x":[1,{"y":true}]},"deal_details":[{"contactId":"3","status":1,"status_count":-2},null],` +
			`"owner_details":{"id":5,"first_name":"Ann","role":"admin"},"view_only":true,"note":null,"name":"Zo\u00eb \"Z\"","address":"Straße 1"}`},
		{0, "{\"name\":\"Zo\xeb\",\"note\":\"a\\n\xff\",\"address\":\"\xc3\"}"}, // invalid UTF-8: U+FFFD, as encoding/json
	}
	// (contact_create_documented.json, the API document's sample as
	// printed, lacks a comma: invalid JSON is encoding/json's to refuse.)
	files := map[string]int{"contact_create.json": 0, "contact_get.json": 0, "contacts_list.json": 1, "contacts_multiple.json": 2}
	for f, target := range files {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			target int
			body   string
		}{target, string(b)})
	}
	for _, c := range cases {
		if !checkFast(t, c.target, []byte(c.body)) {
			t.Errorf("%s: the fast decoder gave up on %.80q", fastTargets[c.target].name, c.body)
		}
	}
}

// What the fast decoder cannot be sure to decode as encoding/json does,
// it leaves to encoding/json (and decodeReply then answers
// encoding/json's value or error).
func TestFastDecodeGivesUp(t *testing.T) {
	for _, body := range []string{
		`{"Name":"x"}`,                // a case-insensitive match
		`{"name":"a","name":"b"}`,     // a repeated field
		`{"na\u006de":"x"}`,           // an escaped key
		`{"name":5}`,                  // a type error
		`{"id":1.5}`,                  // not an integer
		`{"id":"1\u0030"}`,            // an escaped numeric string
		`{"id":99999999999999999999}`, // out of range
		`{"label":"x"}`,               // not an object
		`{"view_only":1}`,             // not a bool
		`{"name":"x"} x`,              // trailing garbage
		`{"name":"x",}`,               // invalid JSON
		`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, // deep
		`null`,
		`{"name":"\xff"}`, // invalid UTF-8: encoding/json replaces it
	} {
		if _, ok := fastTargets[0].fast([]byte(body)); ok {
			t.Errorf("fast decoder decoded %q", body)
		}
		var got, want *Contact
		gotErr := decodeReply(&request{op: "contacts.get"}, &reply{status: 200, body: []byte(body)}, &got)
		wantErr := json.Unmarshal([]byte(body), &want)
		if fmt.Sprint(gotErr != nil) != fmt.Sprint(wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: decodeReply gave %#v, %v; encoding/json %#v, %v", body, got, gotErr, want, wantErr)
		}
	}
}

// FuzzFastDecode: whatever the fast decoder accepts, encoding/json
// accepts and decodes to the same value.
func FuzzFastDecode(f *testing.F) {
	for _, b := range TestdataReplies(f) {
		f.Add(b)
	}
	for _, s := range []string{benchReply, `{"data":[` + benchReply + `],"paginationInfo":{"page":1,"totalRecords":1}}`,
		`[` + benchReply + `,null]`, `{"id":"12","c_field":{"k":"v","n":null},"deal_details":[{"status":2}]}`,
		`{"name":"Zo\u00eb","id":-0,"sub_owner_ids":[1,"2",null],"Email":"x"}`, `{"data":null,"paginationInfo":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := range fastTargets {
			checkFast(t, i, b)
		}
	})
}

// BenchmarkDecodeReply is a create reply's decoding (the stub's contact):
// fast is decodeReply's path, std encoding/json's.
func BenchmarkDecodeReply(b *testing.B) {
	body := []byte(benchReply)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c *Contact
			if !decodeKnown(body, &c) {
				b.Fatal("gave up")
			}
		}
	})
	b.Run("std", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c *Contact
			if err := json.Unmarshal(body, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFastDecodeEmptyListAllocations: a search that finds nothing (a new
// lead's) decodes into an empty, non-nil Data without an allocation.
func TestFastDecodeEmptyListAllocations(t *testing.T) {
	body := []byte(`{"data":[],"paginationInfo":{"page":1,"totalRecords":0}}`)
	var l ContactList
	n := testing.AllocsPerRun(100, func() {
		l = ContactList{}
		if !decodeKnown(body, &l) {
			t.Fatal("the fast decoder gave up")
		}
	})
	if l.Data == nil || len(l.Data) != 0 {
		t.Errorf("Data = %#v, want empty and not nil", l.Data)
	}
	if n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
