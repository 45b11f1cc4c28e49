package rules_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/internal/fixture"
)

var (
	mustLoad  = fixture.Load
	formEvent = fixture.FormEvent
	hotLead   = fixture.HotLead
)

// actionTypes is the type of each of p's actions, in order.
func actionTypes(p *rules.Plan) []string {
	var types []string
	for _, a := range p.Actions {
		types = append(types, a.Type)
	}
	return types
}

func TestEvaluate(t *testing.T) {
	set := mustLoad(t, "testdata/eval.yaml")
	tests := []struct {
		name       string
		ev         *rules.Event
		contact    *rules.Contact
		score      float64
		scoreLabel string
		matched    []string
		errors     map[string]string
		actions    []string
		check      func(t *testing.T, p *rules.Plan)
	}{
		{name: "hot business lead",
			ev:    formEvent("jane@acme.io", map[string]any{"budget": "$15,000", "plan": "pro"}),
			score: 60, scoreLabel: "Hot lead",
			matched: []string{"capture", "route", "after-stop"},
			errors:  map[string]string{"broken": `when: invalid operation: int() (1:1)`},
			actions: []string{"upsert_contact", "assign_label", "assign_owner", "delete_contact"},
			check: func(t *testing.T, p *rules.Plan) {
				f := p.Actions[0].Fields
				want := &rules.ContactFields{Name: "Jane Doe", SubOwnerIDs: []int64{7, 8}, Custom: map[string]string{"D-0000013": "pro", "Source": "website"}}
				if !reflect.DeepEqual(f, want) {
					t.Errorf("fields = %+v, want %+v", f, want)
				}
				if got := p.Actions[1].Label; got != "Hot lead" {
					t.Errorf("label from score = %q", got)
				}
				if got := p.Actions[2].OwnerID; got != rules.Route(set.Pools()[0].Owners, "jane@acme.io") || got == 0 {
					t.Errorf("owner = %d", got)
				}
			}},
		{name: "free mail cold lead, numeric owner",
			ev:    formEvent("sam@gmail.com", map[string]any{"owner": "55", "seats": "3"}),
			score: 0, scoreLabel: "Cold lead",
			matched: []string{"capture", "after-stop"},
			actions: []string{"upsert_contact", "assign_label", "delete_contact"},
			check: func(t *testing.T, p *rules.Plan) {
				if got := p.Actions[0].Fields.OwnerID; got != 55 {
					t.Errorf("owner_id = %d, want 55", got)
				}
			}},
		{name: "runtime error in an action keeps the rule's other actions",
			ev:    formEvent("not-an-email", map[string]any{"crash": "x", "seats": "20"}),
			score: 20, scoreLabel: "Warm lead",
			matched: []string{"broken", "bad-action", "route", "after-stop"},
			errors:  map[string]string{"bad-action": `update_contact set.label_id: invalid operation: int(x) (1:1)`},
			actions: []string{"assign_label", "set_visibility", "assign_owner", "delete_contact"}},
		{name: "known cold contact stops",
			ev:      formEvent("pat@acme.io", nil),
			contact: &rules.Contact{ID: 9, Email: "pat@acme.io", Label: "Cold lead"},
			score:   20, scoreLabel: "Warm lead",
			matched: []string{"capture", "known"},
			errors:  map[string]string{"broken": `when: invalid operation: int() (1:1)`},
			actions: []string{"upsert_contact", "assign_label", "update_contact"},
			check: func(t *testing.T, p *rules.Plan) {
				last := p.Rules[len(p.Rules)-2]
				if last.Name != "after-stop" || last.Skipped != `stopped by rule "known"` {
					t.Errorf("after-stop = %+v", last)
				}
				if off := p.Rules[len(p.Rules)-1]; off.Skipped != "disabled" {
					t.Errorf("off = %+v", off)
				}
			}},
		{name: "nil event",
			ev: nil, score: 20, scoreLabel: "Warm lead",
			matched: []string{"route", "after-stop"},
			errors:  map[string]string{"broken": `when: invalid operation: int() (1:1)`},
			actions: []string{"assign_owner", "delete_contact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := set.Evaluate(tt.ev, tt.contact)
			if p.Score != tt.score || p.ScoreLabel != tt.scoreLabel {
				t.Errorf("score = %v %q, want %v %q", p.Score, p.ScoreLabel, tt.score, tt.scoreLabel)
			}
			var matched []string
			errs := map[string]string{}
			for _, r := range p.Rules {
				if r.Matched {
					matched = append(matched, r.Name)
				}
				if r.Error != "" {
					errs[r.Name] = r.Error
				}
			}
			if !reflect.DeepEqual(matched, tt.matched) {
				t.Errorf("matched = %v, want %v", matched, tt.matched)
			}
			if tt.errors == nil {
				tt.errors = map[string]string{}
			}
			if !reflect.DeepEqual(errs, tt.errors) {
				t.Errorf("errors = %q, want %q", errs, tt.errors)
			}
			if types := actionTypes(p); !reflect.DeepEqual(types, tt.actions) {
				t.Errorf("actions = %v, want %v", types, tt.actions)
			}
			if _, err := json.Marshal(p); err != nil {
				t.Errorf("plan is not JSON-serialisable: %v", err)
			}
			if again := set.Evaluate(tt.ev, tt.contact); !reflect.DeepEqual(again, p) {
				t.Errorf("evaluation is not deterministic")
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestEvaluateNeverPanics(t *testing.T) {
	set, err := rules.Load("p.yaml", []byte(`
rules:
  - name: wrong-type
    when: 'domain(event.fields.n) == "x"'
    actions: [{delete_contact: {}}]
  - name: nil-contact
    when: 'contact.email == "x"'
    actions: [{delete_contact: {}}]
  - name: fine
    when: 'true'
    actions: [{delete_contact: {}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	p := set.Evaluate(&rules.Event{Fields: map[string]any{"n": 5.0}}, nil)
	want := []rules.RuleResult{
		{Name: "wrong-type", Error: "when: argument 1: expected a string, got a number (1:1)"},
		{Name: "nil-contact", Error: "when: cannot get email from contact (1:1)"},
		{Name: "fine", Matched: true},
	}
	if !reflect.DeepEqual(p.Rules, want) {
		t.Errorf("rules = %+v, want %+v", p.Rules, want)
	}
}

func TestEvaluateExample(t *testing.T) {
	set := mustLoad(t, "../rules.example.yaml")
	tests := []struct {
		name    string
		ev      *rules.Event
		contact *rules.Contact
		label   string
		actions []string
	}{
		{"hot website lead", formEvent("jane@acme.io", map[string]any{"budget": "12k", "message": "pricing please", "company_size": "80"}), nil,
			"Hot lead", []string{"upsert_contact", "assign_label", "assign_owner", "assign_label"}},
		{"cold free-mail lead", formEvent("sam@gmail.com", nil), nil,
			"Cold lead", []string{"upsert_contact", "assign_label"}},
		{"spam mail", &rules.Event{Kind: rules.KindEmail, Mail: rules.Mail{From: "x@spam.biz", Spam: "spam"}}, nil,
			"Cold lead", []string{"create_contact"}},
		{"email enquiry", &rules.Event{Kind: rules.KindEmail, Email: "li@corp.com", Mail: rules.Mail{From: "li@corp.com", FromName: "Li", Subject: "Quote for 50 seats"}}, nil,
			"Warm lead", []string{"upsert_contact", "assign_label", "assign_owner"}},
		{"known sender", &rules.Event{Kind: rules.KindEmail, Email: "li@corp.com", Mail: rules.Mail{From: "li@corp.com", Subject: "hello"}},
			&rules.Contact{ID: 5, Email: "li@corp.com", Label: "Warm lead"},
			"Warm lead", []string{"update_contact"}},
		{"orphaned contact", &rules.Event{Kind: rules.KindCRM, ContactID: 5}, &rules.Contact{ID: 5, OwnerID: 99999},
			"Cold lead", []string{"assign_owner"}},
		{"won deal", &rules.Event{Kind: rules.KindCRM, ContactID: 5, Fields: map[string]any{"deal_status": "won"}}, &rules.Contact{ID: 5, OwnerID: 1},
			"Cold lead", []string{"assign_label", "assign_owner"}},
		{"erasure", formEvent("gone@acme.io", map[string]any{"request": "erase"}), nil,
			"Cold lead", []string{"delete_contact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := set.Evaluate(tt.ev, tt.contact)
			for _, r := range p.Rules {
				if r.Error != "" {
					t.Errorf("rule %q: %s", r.Name, r.Error)
				}
			}
			if len(p.Errors) > 0 {
				t.Errorf("score errors: %v", p.Errors)
			}
			if types := actionTypes(p); p.ScoreLabel != tt.label || !reflect.DeepEqual(types, tt.actions) {
				t.Errorf("got %q %v, want %q %v", p.ScoreLabel, types, tt.label, tt.actions)
			}
		})
	}
}

func TestHelperExamples(t *testing.T) {
	set := mustLoad(t, "../rules.example.yaml")
	_ = set
	for _, h := range rules.Helpers() {
		t.Run(h.Name, func(t *testing.T) {
			got, err := rules.RunExample(h.Example)
			if err != nil {
				t.Fatal(err)
			}
			if got != h.Result {
				t.Errorf("%s = %s, want %s", h.Example, got, h.Result)
			}
		})
	}
}
