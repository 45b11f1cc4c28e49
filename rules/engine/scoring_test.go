package engine_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// scoringT0 is when the walkthrough's lead arrives in these tests.
var scoringT0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// exampleWith loads rules.example.yaml with its scoring section edited:
// combine set, half_life kept or dropped.
func exampleWith(t *testing.T, combine string, decay bool) *rules.Set {
	t.Helper()
	data, err := os.ReadFile("../../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"  combine: max\n", "  half_life: 90d\n"} {
		if !strings.Contains(s, want) {
			t.Fatalf("rules.example.yaml lacks %q in scoring", want)
		}
	}
	s = strings.Replace(s, "  combine: max\n", "  combine: "+combine+"\n", 1)
	if !decay {
		s = strings.Replace(s, "  half_life: 90d\n", "", 1)
	}
	set, err := rules.Load("rules.example.yaml", []byte(s), rules.WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// clock is a test clock moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func scoringEngine(t *testing.T, set *rules.Set, clk *clock) (*engine.Engine, *deskeratest.Server) {
	t.Helper()
	srv := deskeratest.NewServer(t)
	eng := preparedWith(t, set, srv.Client(), engine.WithClock(clk.now))
	srv.ResetCounts()
	return eng, srv
}

// walkedThrough is a scoring engine on the clock scoringT0 that has
// processed walkthroughLead once.
func walkedThrough(t *testing.T, set *rules.Set) (*engine.Engine, *deskeratest.Server, *clock) {
	t.Helper()
	clk := &clock{scoringT0}
	eng, srv := scoringEngine(t, set, clk)
	if _, err := eng.Process(context.Background(), set, walkthroughLead(scoringT0), false); err != nil {
		t.Fatal(err)
	}
	return eng, srv, clk
}

// walkthroughLead is the README walkthrough's form: 90 points, Hot lead.
func walkthroughLead(at time.Time) *rules.Event {
	return &rules.Event{ID: "w1", Source: "website", Kind: rules.KindForm, Email: "jane@acme.io", Name: "Jane Doe",
		Phone: "+1 555 0100", Company: "Acme", ReceivedAt: at,
		Fields: map[string]any{"budget": "15000", "message": "Please send pricing"}}
}

// thinnerLead is a later form from the same person: business email only,
// 25 points with the phone the contact has (Cold lead on its own).
func thinnerLead(at time.Time) *rules.Event {
	return &rules.Event{ID: "w2", Source: "website", Kind: rules.KindForm, Email: "jane@acme.io", Name: "Jane Doe", ReceivedAt: at,
		Fields: map[string]any{}}
}

func onlyContact(t *testing.T, srv *deskeratest.Server) deskera.Contact {
	t.Helper()
	cs := srv.Contacts()
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}
	return cs[0]
}

func customValue(c deskera.Contact, name string) string {
	for _, f := range c.CustomField {
		if f.Label == name || f.ShortName == name {
			return f.Value
		}
	}
	return ""
}

// TestCreateStoresScoreInThePOST: a new lead's score, its time and its
// parts ride in the create: one search and one POST, as before.
func TestCreateStoresScoreInThePOST(t *testing.T) {
	set := exampleWith(t, rules.CombineMax, true)
	clk := &clock{scoringT0}
	eng, srv := scoringEngine(t, set, clk)
	out, err := eng.Process(context.Background(), set, walkthroughLead(scoringT0), false)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, srv.Counts(), map[string]int{"contacts.list": 1, "contacts.create": 1})
	c := onlyContact(t, srv)
	want := map[string]string{"Lead score": "90", "Lead score at": "2026-01-15T10:00:00Z",
		"Lead score parts": "business_email=20; budget=40; buying_intent=25; has_phone=5", "Lead source": "website"}
	for k, v := range want {
		if got := customValue(c, k); got != v {
			t.Errorf("custom field %q = %q, want %q", k, got, v)
		}
	}
	if c.LabelID != labelHot || out.Plan.Score != 90 || out.Plan.Scoring == nil || out.Plan.Scoring.From != "event" {
		t.Errorf("label %d, plan score %v scoring %+v", c.LabelID, out.Plan.Score, out.Plan.Scoring)
	}
}

// TestThinnerFormCombination: a later, thinner form from the same person
// keeps her Hot lead under max (and costs the search only: the stored
// score stands, nothing changes) and downgrades her under latest (one
// PATCH carrying the label and the new score, the other custom fields
// kept).
func TestThinnerFormCombination(t *testing.T) {
	tests := []struct {
		name      string
		combine   string
		wantLabel deskera.ID
		wantScore string
		patches   int
		combined  float64
	}{
		{"max keeps the hot lead", rules.CombineMax, labelHot, "90", 0, 90},
		{"latest takes the thinner form", rules.CombineLatest, labelCold, "25", 1, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := exampleWith(t, tt.combine, false)
			eng, srv, _ := walkedThrough(t, set)
			ctx := context.Background()
			srv.ResetCounts()
			later := scoringT0.Add(72 * time.Hour)
			out, err := eng.Process(ctx, set, thinnerLead(later), false)
			if err != nil {
				t.Fatal(err)
			}
			c := onlyContact(t, srv)
			if c.LabelID != tt.wantLabel || customValue(c, "Lead score") != tt.wantScore {
				t.Errorf("label %d score %q, want %d %q", c.LabelID, customValue(c, "Lead score"), tt.wantLabel, tt.wantScore)
			}
			if got := srv.Count("contacts.update"); got != tt.patches || srv.Total() != 1+tt.patches {
				t.Errorf("calls %v, want the search and %d PATCH", srv.Counts(), tt.patches)
			}
			sc := out.Plan.Scoring
			if out.Plan.Score != tt.combined || sc == nil || sc.EventScore != 25 || sc.StoredScore != 90 {
				t.Errorf("plan score %v, scoring %+v; want combined %v, event 25, stored 90", out.Plan.Score, sc, tt.combined)
			}
			if customValue(c, "Lead source") != "website" {
				t.Errorf("the score PATCH erased another custom field: %+v", c.CustomField)
			}
		})
	}
}

// TestUnchangedScoreNoPatch: repeats of the same lead cost the search
// only, with and without decay (within the decay tolerance).
func TestUnchangedScoreNoPatch(t *testing.T) {
	for _, decay := range []bool{false, true} {
		set := exampleWith(t, rules.CombineMax, decay)
		eng, srv, _ := walkedThrough(t, set)
		ctx := context.Background()
		srv.ResetCounts()
		for i := range 3 {
			if _, err := eng.Process(ctx, set, walkthroughLead(scoringT0.Add(time.Duration(i+1)*time.Hour)), false); err != nil {
				t.Fatal(err)
			}
		}
		if srv.Count("contacts.update") != 0 || srv.Total() != 3 {
			t.Errorf("decay %v: calls %v, want 3 searches and no PATCH", decay, srv.Counts())
		}
	}
}

// TestRaisedScoreRidesInOnePatch: a richer event raises the stored score
// in the one PATCH the event makes, with the contact's whole custom-field
// list.
func TestRaisedScoreRidesInOnePatch(t *testing.T) {
	set := exampleWith(t, rules.CombineMax, false)
	clk := &clock{scoringT0}
	eng, srv := scoringEngine(t, set, clk)
	srv.AddContact(deskera.Contact{Name: "Jane Doe", Email: "jane@acme.io", LabelID: labelWarm, CustomField: []deskera.CustomField{
		{Code: "D-0000013", Label: "Lead score", Value: "45"}, {Label: "Lead score at", Value: "2026-01-01T00:00:00Z"},
		{Label: "Field B", Value: "keep-me"}}})
	srv.ResetCounts()
	out, err := eng.Process(context.Background(), set, walkthroughLead(scoringT0), false)
	if err != nil {
		t.Fatal(err)
	}
	c := onlyContact(t, srv)
	if srv.Count("contacts.update") != 1 || c.LabelID != labelHot || customValue(c, "Lead score") != "100" {
		t.Errorf("calls %v label %d score %q, want one PATCH to Hot lead, score 100", srv.Counts(), c.LabelID, customValue(c, "Lead score"))
	}
	if customValue(c, "Field B") != "keep-me" || customValue(c, "Lead score at") != "2026-01-15T10:00:00Z" {
		t.Errorf("custom fields after the PATCH: %+v", c.CustomField)
	}
	if c.CustomField[0].Code != "D-0000013" {
		t.Errorf("the score field lost its code: %+v", c.CustomField[0])
	}
	if out.Plan.Scoring.StoredScore != 45 || out.Plan.Scoring.EventScore != 100 {
		t.Errorf("scoring %+v", out.Plan.Scoring)
	}
}

// TestSweepKeepsStoredScore is the walkthrough followed by the sweep: with
// no decay Jane stays a Hot lead however late the sweep runs (today's
// sweep re-scored her from her CRM fields only, 5 points: Cold lead); with
// half_life set and the clock moved forward she cools down.
func TestSweepKeepsStoredScore(t *testing.T) {
	tests := []struct {
		name  string
		decay bool
		after time.Duration
		want  deskera.ID
	}{
		{"no decay, next night", false, 24 * time.Hour, labelHot},
		{"no decay, years later", false, 3 * 365 * 24 * time.Hour, labelHot},
		{"half_life 90d, next night", true, 24 * time.Hour, labelHot},
		{"half_life 90d, 60 days on", true, 60 * 24 * time.Hour, labelWarm},   // 90 * 0.5^(60/90) = 56.7
		{"half_life 90d, 200 days on", true, 200 * 24 * time.Hour, labelCold}, // 19.3
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := exampleWith(t, rules.CombineMax, tt.decay)
			eng, srv, clk := walkedThrough(t, set)
			ctx := context.Background()
			clk.t = scoringT0.Add(tt.after)
			srv.ResetCounts()
			res, err := eng.Sweep(ctx, set, engine.SweepOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := onlyContact(t, srv)
			if c.LabelID != tt.want {
				t.Errorf("label %d after the sweep, want %d (%+v)", c.LabelID, tt.want, res)
			}
			if tt.want == labelHot && (res.Unchanged != 1 || srv.Count("contacts.bulk_update") != 0) {
				t.Errorf("sweep %+v, calls %v: want unchanged and no write", res, srv.Counts())
			}
			if customValue(c, "Lead score") != "90" {
				t.Errorf("the sweep changed the stored score: %q", customValue(c, "Lead score"))
			}
		})
	}
}

// TestEvaluateDecaysStoredScore: at evaluation the stored score is decayed
// to event.received_at; stored_score, event_score and the combined score
// are visible to expressions.
func TestEvaluateDecaysStoredScore(t *testing.T) {
	const doc = `
labels: [Hot lead, Warm lead, Cold lead]
scores:
  budget: 'has("budget") ? 40 : 0'
  email: '20'
scoring: {combine: max, half_life: 30d}
thresholds: {Hot lead: 60, Warm lead: 30, Cold lead: 0}
rules:
  - name: cooling
    when: 'stored_score > event_score && score == stored_score && scores.budget == 20 && event_scores.budget == 0'
    actions: [{assign_label: {from: score}}]
`
	set, err := rules.Load("decay.yaml", []byte(doc), rules.WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	contact := &rules.Contact{ID: 7, Email: "jane@acme.io", CustomField: map[string]string{
		"Lead score": "60", "Lead score at": "2026-01-15T10:00:00Z", "Lead score parts": "budget=40; email=20"}}
	ev := formEvent("jane@acme.io", map[string]any{})
	ev.ReceivedAt = scoringT0.Add(30 * 24 * time.Hour) // one half-life
	plan := set.Evaluate(ev, contact)
	if plan.Score != 30 || plan.ScoreLabel != "Warm lead" || !plan.Rules[0].Matched {
		t.Fatalf("score %v label %q rules %+v, want 30 (60 halved), Warm lead, cooling matched", plan.Score, plan.ScoreLabel, plan.Rules)
	}
	if plan.Scoring.From != "stored" || plan.Scoring.Write != nil {
		t.Errorf("scoring %+v: the stored score should win and nothing be written", plan.Scoring)
	}
	ex := set.Explain(ev, contact)
	if ex.Score != 30 || ex.Scoring == nil || ex.Scoring.StoredScore != 30 || ex.Scoring.EventScore != 20 {
		t.Errorf("explanation score %v scoring %+v", ex.Score, ex.Scoring)
	}
}

// TestStoredScoreNotANumber: a value someone typed into the field is
// ignored (and said so), and the event writes a fresh score.
func TestStoredScoreNotANumber(t *testing.T) {
	set := exampleWith(t, rules.CombineMax, false)
	plan := set.Evaluate(walkthroughLead(scoringT0), &rules.Contact{ID: 1, Email: "jane@acme.io",
		CustomField: map[string]string{"Lead score": "hot!"}})
	if plan.Score != 90 || plan.Scoring.Problem == "" || plan.Scoring.Write == nil || plan.Scoring.Write.Score != 90 {
		t.Errorf("score %v scoring %+v", plan.Score, plan.Scoring)
	}
}

// TestStoreFalseKeepsNothing: store: false is today's behaviour: nothing
// written, nothing read.
func TestStoreFalseKeepsNothing(t *testing.T) {
	data, err := os.ReadFile("../../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  half_life: 90d\n", "  store: false\n", 1)
	set, err := rules.Load("rules.example.yaml", []byte(s), rules.WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	eng, srv := scoringEngine(t, set, &clock{scoringT0})
	out, err := eng.Process(context.Background(), set, walkthroughLead(scoringT0), false)
	if err != nil {
		t.Fatal(err)
	}
	if c := onlyContact(t, srv); customValue(c, "Lead score") != "" || out.Plan.Scoring != nil {
		t.Errorf("store: false wrote %+v (scoring %+v)", c.CustomField, out.Plan.Scoring)
	}
}

// readingCRM changes what the search answers: a second reading of how
// Deskera returns custom fields.
type readingCRM struct {
	engine.CRM
	shape func(*deskera.Contact)
	// refuse, when set, is the answer to every create.
	refuse error
}

func (r *readingCRM) ListContacts(ctx context.Context, o *deskera.ListContactsOptions) (*deskera.ContactList, error) {
	l, err := r.CRM.ListContacts(ctx, o)
	if err == nil && r.shape != nil {
		for i := range l.Data {
			r.shape(&l.Data[i])
		}
	}
	return l, err
}

func (r *readingCRM) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	if r.refuse != nil {
		return nil, r.refuse
	}
	return r.CRM.CreateContact(ctx, d)
}

// TestStoredScoreReadings: the fake answers a contact's custom fields in
// both custom_field and c_field (as the document's samples do); the stored
// score is read as well when Deskera gives only one of them, so a thinner
// form still costs the search only and keeps the Hot lead.
func TestStoredScoreReadings(t *testing.T) {
	tests := []struct {
		name  string
		shape func(*deskera.Contact)
	}{
		{"both lists", nil},
		{"c_field only", func(c *deskera.Contact) { c.CustomField = nil }},
		{"custom_field only", func(c *deskera.Contact) { c.CField = nil }},
		{"custom_field without shortName", func(c *deskera.Contact) {
			c.CField = nil
			for i := range c.CustomField {
				c.CustomField[i].ShortName = ""
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := exampleWith(t, rules.CombineMax, false)
			srv := deskeratest.NewServer(t)
			eng := preparedWith(t, set, &readingCRM{CRM: srv.Client(), shape: tt.shape})
			ctx := context.Background()
			if _, err := eng.Process(ctx, set, walkthroughLead(scoringT0), false); err != nil {
				t.Fatal(err)
			}
			srv.ResetCounts()
			out, err := eng.Process(ctx, set, thinnerLead(scoringT0.Add(time.Hour)), false)
			if err != nil {
				t.Fatal(err)
			}
			if c := onlyContact(t, srv); c.LabelID != labelHot || srv.Count("contacts.update") != 0 || out.Plan.Scoring.StoredScore != 90 {
				t.Errorf("label %d, calls %v, scoring %+v: the stored score was not read", c.LabelID, srv.Counts(), out.Plan.Scoring)
			}
		})
	}
}

// TestScoreFieldRefusedIsOurs: Deskera refusing the create because a
// score custom field does not exist is our configuration (503, retried),
// never a final answer that loses the lead.
func TestScoreFieldRefusedIsOurs(t *testing.T) {
	set := exampleWith(t, rules.CombineMax, false)
	srv := deskeratest.NewServer(t)
	refusal := &deskera.APIError{Op: "contacts.create", StatusCode: 400, Method: "POST", Path: "/v1/crm/contacts",
		Message: "Custom field 'Lead score' does not exist"}
	eng := preparedWith(t, set, &readingCRM{CRM: srv.Client(), refuse: refusal})
	ctx := context.Background()
	_, err := eng.Process(ctx, set, walkthroughLead(scoringT0), false)
	f := engine.Classify(err)
	if !errors.Is(err, rules.ErrScoreFieldRefused) || f.Cause != engine.CauseConfig || f.Final || !f.Ours {
		t.Errorf("err %v classified %+v, want ours, config, not final", err, f)
	}
	// The same refusal naming a plain contact field stays the delivery's.
	plain := &deskera.APIError{Op: "contacts.create", StatusCode: 400, Method: "POST", Path: "/v1/crm/contacts", Message: "invalid phone"}
	eng = preparedWith(t, set, &readingCRM{CRM: srv.Client(), refuse: plain})
	_, err = eng.Process(ctx, set, walkthroughLead(scoringT0), false)
	if f := engine.Classify(err); !f.Final || errors.Is(err, rules.ErrScoreFieldRefused) {
		t.Errorf("invalid phone classified %+v, want the delivery's (final)", f)
	}
}

// TestRepeatRefreshesDecayedScore: with decay, the same form sent again
// once decay has eaten into the stored score stores it afresh (one PATCH,
// score and time), so the sweep counts from the latest raise.
func TestRepeatRefreshesDecayedScore(t *testing.T) {
	set := exampleWith(t, rules.CombineMax, true)
	eng, srv, clk := walkedThrough(t, set)
	ctx := context.Background()
	srv.ResetCounts()
	later := scoringT0.Add(150 * 24 * time.Hour) // stored 90 is worth 28.3 now
	out, err := eng.Process(ctx, set, walkthroughLead(later), false)
	if err != nil {
		t.Fatal(err)
	}
	c := onlyContact(t, srv)
	if srv.Count("contacts.update") != 1 || customValue(c, "Lead score at") != later.Format(time.RFC3339) || c.LabelID != labelHot {
		t.Errorf("calls %v, at %q, label %d: want one PATCH storing the fresh time", srv.Counts(), customValue(c, "Lead score at"), c.LabelID)
	}
	if out.Plan.Scoring.StoredScore >= 30 || out.Plan.Score != 90 {
		t.Errorf("scoring %+v score %v", out.Plan.Scoring, out.Plan.Score)
	}
	clk.t = later.Add(24 * time.Hour)
	if _, err := eng.Sweep(ctx, set, engine.SweepOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := onlyContact(t, srv); c.LabelID != labelHot {
		t.Errorf("the sweep the day after the refresh labelled %d, want Hot lead", c.LabelID)
	}
}
