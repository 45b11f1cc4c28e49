package rules

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"
)

// TestValueEnvMirrorsEnv: a program compiled against Env reads fields by
// index, so valueEnv must have Env's fields in Env's order, the event by
// value.
func TestValueEnvMirrorsEnv(t *testing.T) {
	env, val := reflect.TypeFor[Env](), reflect.TypeFor[valueEnv]()
	if env.NumField() != val.NumField() {
		t.Fatalf("Env has %d fields, valueEnv %d", env.NumField(), val.NumField())
	}
	for i := range env.NumField() {
		ef, vf := env.Field(i), val.Field(i)
		want := ef.Type
		if ef.Name == "Event" {
			want = want.Elem()
		}
		if ef.Name != vf.Name || vf.Type != want || !reflect.DeepEqual(ef.Index, vf.Index) {
			t.Errorf("field %d: Env has %s %v, valueEnv %s %v", i, ef.Name, ef.Type, vf.Name, vf.Type)
		}
	}
}

// TestRunsByValue: a program runs by value only when the event is never
// used whole, and then gives what it gives by pointer, errors included.
func TestRunsByValue(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	events := map[string]*Event{
		"form": {Kind: KindForm, Source: "website", Email: "Jane@Acme.io", Name: "Jane", Phone: "+65 8575 8458", ReceivedAt: now,
			Fields: map[string]any{"budget": "12,000", "message": "pricing please"}, Headers: map[string]string{"X-A": "1"}},
		"email": {Kind: KindEmail, Email: "li@corp.com", Mail: Mail{From: "li@corp.com", FromName: "Li", Subject: "Quote for 50 seats",
			To: []string{"sales@x.io"}, Spam: "pass", SpamScore: 1.5, Attachments: 2, Headers: map[string]string{"X-B": "2"}}},
		"empty": {},
	}
	contacts := map[string]*Contact{"none": nil, "known": {ID: 5, Email: "li@corp.com", Label: "Warm lead", CustomField: map[string]string{"a": "b"}}}
	tests := []struct {
		name    string
		src     string
		byValue bool
	}{
		{"kind", `event.kind == "form"`, true},
		{"mail subject", `event.mail.subject`, true},
		{"mail whole", `event.mail`, true},
		{"mail to", `event.mail.to`, true},
		{"mail numbers", `event.mail.spam_score + event.mail.attachments`, true},
		{"optional", `event?.kind ?? "none"`, true},
		{"index", `event["email"]`, true},
		{"received at", `event.received_at.Year()`, true},
		{"fields", `field("budget")`, true},
		{"fields missing", `event.fields.nope`, true},
		{"headers", `event.headers["X-A"]`, true},
		{"contact", `(contact?.label ?? "") + event.email`, true},
		{"contact unguarded", `contact.email == event.email`, true},
		{"closure", `any(event.mail.to, # == event.email)`, true},
		{"score", `score + stored_score`, true},
		{"whole event", `string(event)`, false},
		{"event nil", `event != nil`, false},
		{"let", `let e = event; e.kind`, false},
		{"env", `$env.event.kind`, false},
		{"toJSON", `toJSON(event)`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := compileExpr(tc.src, kindAny)
			if err != nil {
				t.Fatal(err)
			}
			if got := runsByValue(prog); got != tc.byValue {
				t.Fatalf("runsByValue = %v, want %v", got, tc.byValue)
			}
			for en, ev := range events {
				for cn, c := range contacts {
					env := Env{Event: ev, Contact: c, Score: 12, Scores: map[string]float64{"a": 12}, ScoreLabel: "Cold lead", StoredScore: 3}
					var m vm.VM
					wantOut, wantErr := m.Run(prog, &env)
					gotOut, gotErr := m.Run(prog, valueOf(&env))
					if !tc.byValue {
						continue
					}
					if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) || !reflect.DeepEqual(wantOut, gotOut) {
						t.Errorf("%s/%s: by pointer %#v, %v; by value %#v, %v", en, cn, wantOut, wantErr, gotOut, gotErr)
					}
				}
			}
		})
	}
}
