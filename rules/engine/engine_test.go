package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

var _ engine.CRM = (*deskera.Client)(nil)

// Label ids seeded by the fake (the four documented labels).
const (
	labelNone = 1
	labelCold = 2
	labelWarm = 3
	labelHot  = 4
)

func newEngine(t *testing.T) (*engine.Engine, *rules.Set, *deskeratest.Server) {
	t.Helper()
	srv := deskeratest.NewServer(t)
	eng, set := prepared(t, srv.Client())
	srv.ResetCounts()
	return eng, set, srv
}

func TestPrepareCreatesDeclaredLabels(t *testing.T) {
	srv := deskeratest.NewServer(t)
	eng, err := engine.NewEngine(srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	set := mustLoad(t, "../../rules.example.yaml")
	if err := eng.Prepare(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Count("labels.create"), 2; got != want { // Customer, Spam
		t.Errorf("labels.create = %d, want %d", got, want)
	}
	if err := eng.Prepare(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Count("labels.create"), 2; got != want {
		t.Errorf("second Prepare created labels again: %d", got)
	}
	missing, err := rules.Load("m.yaml", []byte("labels: [Partner]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Prepare(context.Background(), missing); !errors.Is(err, rules.ErrLabelNotFound) {
		t.Errorf("Prepare with an undeclared-create missing label: %v, want ErrLabelNotFound", err)
	}
}

func TestProcessNewHotLeadIsTwoCalls(t *testing.T) {
	eng, set, srv := newEngine(t)
	out, err := eng.Process(context.Background(), set, hotLead("Jane@Acme.io"), false)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, srv.Counts(), map[string]int{"contacts.list": 1, "contacts.create": 1})
	if len(out.Calls) != 2 {
		t.Errorf("outcome lists %d calls, want 2", len(out.Calls))
	}
	cs := srv.Contacts()
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}
	c := cs[0]
	if c.Email != "jane@acme.io" || c.LabelID != labelHot || int64(c.OwnerID) != rules.Route(poolOwners(t, set, "sales"), "jane@acme.io") {
		t.Errorf("created %q label %d owner %d", c.Email, c.LabelID, c.OwnerID)
	}
	for _, r := range out.Results {
		if r.Outcome != engine.ActionCreated || r.ContactID != int64(c.ID) {
			t.Errorf("result %+v, want created %d", r, c.ID)
		}
	}
}

func TestProcessExistingContactOnePatch(t *testing.T) {
	eng, set, srv := newEngine(t)
	c := srv.AddContact(deskera.Contact{Name: "Jane Doe", Email: "jane@acme.io", LabelID: labelCold, OwnerID: 21584})
	srv.ResetCounts()
	ev := hotLead("jane@acme.io")
	// organization_name is sent but never returned by Deskera: it must not
	// make the repeat below cost a PATCH.
	ev.Company = "Acme"
	if _, err := eng.Process(context.Background(), set, ev, false); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, srv.Counts(), map[string]int{"contacts.list": 1, "contacts.update": 1})
	after, _ := srv.Contact(c.ID)
	if after.LabelID != labelHot || after.OwnerID != 21584 || after.Note != "pricing please" {
		t.Errorf("after: label %d owner %d note %q", after.LabelID, after.OwnerID, after.Note)
	}
	// The same event again changes nothing: the search only.
	srv.ResetCounts()
	out, err := eng.Process(context.Background(), set, ev, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Total(); got != 1 {
		t.Errorf("repeat event made %d calls (%v), want 1", got, srv.Counts())
	}
	wantOutcome(t, out, engine.ActionUnchanged)
}

func TestProcessDryRunMakesNoWrites(t *testing.T) {
	eng, set, srv := newEngine(t)
	out, err := eng.Process(context.Background(), set, hotLead("jane@acme.io"), true)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, srv.Counts(), map[string]int{"contacts.list": 1}) // the search only
	if len(out.Calls) != 2 || out.Calls[0].Op != "contacts.list" || out.Calls[1].Op != "contacts.create" {
		t.Fatalf("planned calls = %+v", out.Calls)
	}
	body := out.Calls[1].Body.(*deskera.ContactSaveDto)
	if body.LabelID != labelHot || body.OwnerID == 0 || body.Email != "jane@acme.io" {
		t.Errorf("planned POST body %+v", body)
	}
	wantOutcome(t, out, engine.ActionPlanned)
}

func TestProcessConcurrentSameContactCreatesOnce(t *testing.T) {
	eng, set, srv := newEngine(t)
	processConcurrently(t, eng, set, 20, func() *rules.Event { return hotLead("same@acme.io") })
	if got := srv.Count("contacts.create"); got != 1 {
		t.Errorf("contacts.create = %d, want 1", got)
	}
	if got := len(srv.Contacts()); got != 1 {
		t.Errorf("%d contacts, want 1", got)
	}
}

func TestProcessCases(t *testing.T) {
	tests := []struct {
		name     string
		seed     *deskera.Contact
		ev       func(id deskera.ID) *rules.Event
		calls    map[string]int
		outcomes []string
		check    func(t *testing.T, srv *deskeratest.Server, id deskera.ID)
	}{
		{name: "erasure deletes",
			seed:  &deskera.Contact{Name: "Gone", Email: "gone@acme.io"},
			ev:    func(deskera.ID) *rules.Event { return formEvent("gone@acme.io", map[string]any{"request": "erase"}) },
			calls: map[string]int{"contacts.list": 1, "contacts.delete": 1}, outcomes: []string{engine.ActionDeleted},
			check: func(t *testing.T, srv *deskeratest.Server, id deskera.ID) {
				if _, ok := srv.Contact(id); ok {
					t.Error("contact still exists")
				}
			}},
		{name: "erasure of unknown contact does nothing",
			ev:    func(deskera.ID) *rules.Event { return formEvent("nobody@acme.io", map[string]any{"request": "erase"}) },
			calls: map[string]int{"contacts.list": 1}, outcomes: []string{engine.ActionSkipped}},
		{name: "crm webhook reassigns orphan by id",
			seed:  &deskera.Contact{Name: "Orphan", Email: "orphan@acme.io", OwnerID: 99999},
			ev:    func(id deskera.ID) *rules.Event { return &rules.Event{Kind: rules.KindCRM, ContactID: int64(id)} },
			calls: map[string]int{"contacts.get": 1, "contacts.update": 1}, outcomes: []string{engine.ActionUpdated},
			check: func(t *testing.T, srv *deskeratest.Server, id deskera.ID) {
				if c, _ := srv.Contact(id); c.OwnerID == 99999 {
					t.Error("owner not reassigned")
				}
			}},
		{name: "won deal labels customer",
			seed: &deskera.Contact{Name: "Buyer", Email: "buyer@acme.io", OwnerID: 5},
			ev: func(id deskera.ID) *rules.Event {
				return &rules.Event{Kind: rules.KindCRM, ContactID: int64(id), Fields: map[string]any{"deal_status": "won"}}
			},
			calls: map[string]int{"contacts.get": 1, "contacts.update": 1}, outcomes: []string{engine.ActionUpdated, engine.ActionUpdated}},
		{name: "spam mail creates a Spam contact",
			ev: func(deskera.ID) *rules.Event {
				return &rules.Event{Kind: rules.KindEmail, Email: "x@spam.biz", Mail: rules.Mail{From: "x@spam.biz", Spam: "spam"}}
			},
			calls: map[string]int{"contacts.list": 1, "contacts.create": 1}, outcomes: []string{engine.ActionCreated},
			check: func(t *testing.T, srv *deskeratest.Server, _ deskera.ID) {
				c := srv.Contacts()[0]
				if c.Label == nil || c.Label.Name != "Spam" || c.Name != "x@spam.biz" {
					t.Errorf("spam contact: name %q label %+v", c.Name, c.Label)
				}
			}},
		{name: "spam from a known sender changes nothing",
			seed: &deskera.Contact{Name: "Li", Email: "li@corp.com"},
			ev: func(deskera.ID) *rules.Event {
				return &rules.Event{Kind: rules.KindEmail, Mail: rules.Mail{From: "li@corp.com", SpamScore: 9}}
			},
			calls: map[string]int{"contacts.list": 1}, outcomes: []string{engine.ActionExists}},
		{name: "enterprise lead gets the enterprise pool and team visibility",
			ev: func(deskera.ID) *rules.Event {
				return formEvent("cto@bigcorp.com", map[string]any{"company_size": "5000", "budget": "50k"})
			},
			calls:    map[string]int{"contacts.list": 1, "contacts.create": 1},
			outcomes: []string{engine.ActionCreated, engine.ActionCreated, engine.ActionCreated, engine.ActionCreated, engine.ActionCreated, engine.ActionCreated},
			check: func(t *testing.T, srv *deskeratest.Server, _ deskera.ID) {
				c := srv.Contacts()[0]
				if c.VisibilityType != "team" || (c.OwnerID != 19311 && c.OwnerID != 17826) || c.LabelID != labelHot {
					t.Errorf("enterprise contact: visibility %q owner %d label %d", c.VisibilityType, c.OwnerID, c.LabelID)
				}
			}},
		{name: "known sender email updates note",
			seed: &deskera.Contact{Name: "Li", Email: "li@corp.com", LabelID: labelWarm},
			ev: func(deskera.ID) *rules.Event {
				return &rules.Event{Kind: rules.KindEmail, Email: "li@corp.com", Mail: rules.Mail{From: "li@corp.com", Subject: "hello"}}
			},
			calls: map[string]int{"contacts.list": 1, "contacts.update": 1}, outcomes: []string{engine.ActionUpdated},
			check: func(t *testing.T, srv *deskeratest.Server, id deskera.ID) {
				if c, _ := srv.Contact(id); c.Note != "Last email: hello" {
					t.Errorf("note = %q", c.Note)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, set, srv := newEngine(t)
			var id deskera.ID
			if tt.seed != nil {
				id = srv.AddContact(*tt.seed).ID
				srv.ResetCounts()
			}
			out, err := eng.Process(context.Background(), set, tt.ev(id), false)
			if err != nil {
				t.Fatal(err)
			}
			wantCalls(t, srv.Counts(), tt.calls)
			var outcomes []string
			for _, r := range out.Results {
				outcomes = append(outcomes, r.Outcome)
			}
			if fmt.Sprint(outcomes) != fmt.Sprint(tt.outcomes) {
				t.Errorf("outcomes = %v, want %v (%+v)", outcomes, tt.outcomes, out.Results)
			}
			if tt.check != nil {
				tt.check(t, srv, id)
			}
		})
	}
}

func TestProcessErrors(t *testing.T) {
	eng, set, srv := newEngine(t)
	srv.FailNext(1, 422, 0)
	_, err := eng.Process(context.Background(), set, hotLead("jane@acme.io"), false)
	var apiErr *deskera.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 422 {
		t.Fatalf("err = %v, want a wrapped 422 *deskera.APIError", err)
	}
	srv.FailNext(100, 503, 0)
	if _, err := eng.Process(context.Background(), set, hotLead("jane@acme.io"), false); err == nil {
		t.Fatal("Process succeeded against a failing CRM")
	} else if _, ok := deskera.Temporary(err); !ok {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	if _, err := engine.NewEngine(nil); err == nil {
		t.Error("NewEngine(nil) succeeded")
	}
}

// processConcurrently runs n deliveries of ev at once through eng and
// fails the test on any error.
func processConcurrently(t *testing.T, eng *engine.Engine, set *rules.Set, n int, ev func() *rules.Event) {
	t.Helper()
	var g errgroup.Group
	for range n {
		g.Go(func() error {
			_, err := eng.Process(context.Background(), set, ev(), false)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}
