package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAppendStoredIsJSONMarshal: the hand-written encoding of a stored
// record is byte for byte json.Marshal's, over every field, the empty and
// nil forms encoding/json tells apart, escapes and float formats.
func TestAppendStoredIsJSONMarshal(t *testing.T) {
	full := fullEvent()
	tricky := full.Error
	many := map[string]float64{}
	for i := range 20 {
		many[fmt.Sprintf("k%02d", 19-i)] = float64(i) * 1.5
	}
	cases := map[string]storedRecord{
		"zero":         {},
		"empty events": {Events: []Event{}},
		"full": {RequestID: "req-1", Status: 200, ContactIDs: []int64{1001, -2}, Events: []Event{full, {EventID: "e2", Matched: []string{}, Shadow: &Shadow{}}},
			Header: map[string]string{"X-B": tricky, "Content-Type": "application/json"}, Query: map[string]string{"z": "1", "a": ""}},
		"many scores": {Status: 500, Events: []Event{{EventID: "e", Scores: many, Matched: []string{}}}},
		"empty maps":  {Header: map[string]string{}, Query: map[string]string{}, ContactIDs: []int64{}, Events: []Event{{Scores: map[string]float64{}}}},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendStored(nil, &r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("appendStored\n got  %s\n want %s", got, want)
			}
		})
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		r := storedRecord{Events: []Event{{Score: f}}}
		if _, err := appendStored(nil, &r); !errors.Is(err, errUnsupportedFloat) {
			t.Errorf("score %v: err %v, want errUnsupportedFloat (json.Marshal fails too)", f, err)
		}
	}
}

// A record JSON cannot hold (a NaN score) is refused before any write,
// with encoding/json's reason, as before the hand-written encoding.
func TestRecordOnRefusesNaN(t *testing.T) {
	s := &Store{now: time.Now}
	wrote := false
	exec := func(context.Context, string, ...any) error { wrote = true; return nil }
	err := s.RecordOn(context.Background(), exec, &Record{ID: "a", Source: "web", Events: []Event{{Score: math.NaN()}}})
	if err == nil || !strings.Contains(err.Error(), "encode record") || !strings.Contains(err.Error(), "NaN") || wrote {
		t.Fatalf("err %v, wrote %v: want an encode error naming NaN and no write", err, wrote)
	}
}

// fullEvent is an event with every field set, strings that need escapes
// and floats of every format.
func fullEvent() Event {
	tricky := "a\"b\\c<d>&e\x00\x1f\t\n\r\b\f É \u2028\u2029 bad\xff\xe2\x82 end"
	return Event{EventID: "e1", Kind: "form", Email: "j***@x.io", Outcome: "ok", Error: tricky, Score: 105.25,
		Scores:     map[string]float64{"b": 40, "a": -0.5, "tiny": 1e-7, "huge": 1e21, "mid": 123456789.125, "neg": -2e-9, "zero": 0},
		ScoreLabel: "Hot", Label: tricky, Matched: []string{"r1", tricky}, Errored: []RuleError{{Rule: "r", Error: "boom"}, {Rule: tricky}},
		Planned: []PlannedCall{{Op: "contacts.list", Method: "GET", Path: "/v1/crm/contacts?email=a%40b&limit=10"},
			{Op: "contacts.create", Method: "POST", Path: "/v1/crm/contacts", Body: `{"name":"J***","n":1}`}},
		Made:    []MadeCall{{Op: "contacts.list", Method: "GET", Path: "/p", Status: 200, DurationMS: 5.281, Attempt: 1}, {Op: "x", DurationMS: 0}},
		Actions: []Action{{Rule: "r", Type: "upsert_contact", ContactID: 1001, Outcome: "created"}, {Rule: "r", Type: "t", Outcome: "failed", Error: tricky}},
		Owner:   17826,
		Shadow: &Shadow{RulesVersion: "v2", Matched: []string{"a"}, Score: 1.5, Label: "L", Owner: 3, Planned: []string{"assign_label \"x\""},
			Differences: []string{"label"}, Error: tricky}}
}

// BenchmarkStoredEncode is a record's document encoded by encoding/json
// and by appendStored.
func BenchmarkStoredEncode(b *testing.B) {
	r := storedRecord{RequestID: "req-1", Status: 200, ContactIDs: []int64{1001}, Events: []Event{fullEvent()}}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := json.Marshal(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := appendStored(make([]byte, 0, 2048), &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFullRecordSetsEveryField: the "full" case above sets every field of
// the stored record and of every struct in it (at least once), so a field
// added to Event (or below) without its line in appendStored fails
// TestAppendStoredIsJSONMarshal instead of being silently left out of
// the document (an omitempty field left zero would be omitted by both).
func TestFullRecordSetsEveryField(t *testing.T) {
	r := storedRecord{RequestID: "req-1", Status: 200, ContactIDs: []int64{1}, Events: []Event{fullEvent()},
		Header: map[string]string{"a": "b"}, Query: map[string]string{"q": "1"}}
	set := map[string]bool{}
	types := map[reflect.Type]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			types[v.Type()] = true
			for i := range v.NumField() {
				if !v.Field(i).IsZero() {
					set[v.Type().Name()+"."+v.Type().Field(i).Name] = true
				}
				walk(v.Field(i))
			}
		}
	}
	walk(reflect.ValueOf(r))
	for typ := range types {
		for i := range typ.NumField() {
			if name := typ.Name() + "." + typ.Field(i).Name; !set[name] {
				t.Errorf("the full record never sets %s: set it in fullEvent (or the record) so the encoding test covers it", name)
			}
		}
	}
}
