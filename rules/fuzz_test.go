package rules_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// FuzzEvaluate evaluates arbitrary events (and existing contacts) with
// the example rules and the evaluation fixture: no panic, a plan every
// time, deterministic, JSON-serialisable.
func FuzzEvaluate(f *testing.F) {
	var sets []*rules.Set
	for _, file := range []string{"testdata/eval.yaml", "../rules.example.yaml"} {
		set, err := rules.LoadFile(file, rules.WithLookupEnv(noEnv))
		if err != nil {
			f.Fatal(err)
		}
		sets = append(sets, set)
	}
	f.Add("jane@acme.io", "Jane", "+1 555 0100", "Acme", `{"budget":"15000","seats":"12"}`, "Hello", "text", "form", false, "Hot lead", int64(0))
	f.Add("JANE@GMAIL.COM", "", "", "", `{"budget":1e400}`, "", "", "email", true, "", int64(7))
	f.Add("a@b", "\xff\xfe", "x", "", `{"crash":"9999999999999999999999","owner":"-1"}`, "", "", "crm", true, "Cold lead", int64(-1))
	f.Add("", "", "", "", `{"budget":[1,2,{"a":null}],"plan":{"x":true}}`, "", "", "schedule", false, "", int64(1))
	f.Add(strings.Repeat("a", 300)+"@example.com", "", "", "", `not json`, "", "", "form", false, "", int64(0))
	f.Fuzz(func(t *testing.T, email, name, phone, company, fieldsJSON, subject, text, kind string, hasContact bool, label string, contactID int64) {
		ev := &rules.Event{ID: "fuzz", Source: "website", Kind: kind, ReceivedAt: time.Unix(1_700_000_000, 0),
			Email: email, Name: name, Phone: phone, Company: company, ContactID: contactID,
			Mail:    rules.Mail{From: email, Subject: subject, Text: text},
			Headers: map[string]string{"User-Agent": name}, Query: map[string]string{"utm": subject}}
		var fields map[string]any
		if json.Unmarshal([]byte(fieldsJSON), &fields) == nil {
			ev.Fields = fields
		}
		var contact *rules.Contact
		if hasContact {
			contact = &rules.Contact{ID: contactID, Email: email, Name: name, Label: label, OwnerID: 102,
				CustomField: map[string]string{"plan": subject}}
		}
		for _, set := range sets {
			p1 := set.Evaluate(ev, contact)
			p2 := set.Evaluate(ev, contact)
			if p1 == nil {
				t.Fatal("nil plan")
			}
			b1, err := json.Marshal(p1)
			if err != nil {
				t.Fatalf("plan not serialisable: %v", err)
			}
			b2, _ := json.Marshal(p2)
			if !reflect.DeepEqual(b1, b2) {
				t.Fatalf("not deterministic:\n%s\n%s", b1, b2)
			}
		}
	})
}

// TestMemoryBudget: a rule that would allocate without bound on a huge
// field fails with the budget error; the other rules go on.
func TestMemoryBudget(t *testing.T) {
	set, err := rules.Load("budget.yaml", []byte(`
labels: [Hot lead]
sources:
  s: {format: json, auth: {type: none}}
rules:
  - name: greedy
    when: 'len(map(split(event.name, ""), # + #)) > 0'
    actions: [{assign_label: Hot lead}]
  - name: modest
    when: 'event.email != ""'
    actions: [{assign_label: Hot lead}]
`))
	if err != nil {
		t.Fatal(err)
	}
	p := set.Evaluate(&rules.Event{Email: "a@b.co", Name: strings.Repeat("a", 2*rules.MemoryBudget)}, nil)
	if len(p.Rules) != 2 || !strings.Contains(p.Rules[0].Error, "memory budget exceeded") || !p.Rules[1].Matched {
		t.Fatalf("rules = %+v", p.Rules)
	}
}
