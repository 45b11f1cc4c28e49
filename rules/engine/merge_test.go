package engine_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// overrideRules are rules.example.yaml-style rules: a pool route, then a
// later rule that assigns another owner, plus one custom field.
const overrideRules = `
owners:
  sales: [30504]
rules:
  - name: capture
    when: 'email_valid(event.email)'
    actions:
      - upsert_contact:
          set:
            name: event.name
            email: lower(event.email)
          custom:
            Field A: 'field("a")'
      - assign_owner: {pool: sales}
  - name: vip
    when: 'field("vip") == "yes"'
    actions:
      - assign_owner: 30502
`

const (
	poolOwner  = 30504
	laterOwner = 30502
)

func overrideEngine(t *testing.T, crm func(*deskeratest.Server) engine.CRM) (*engine.Engine, *rules.Set, *deskeratest.Server) {
	t.Helper()
	srv := deskeratest.NewServer(t)
	var c engine.CRM = srv.Client()
	if crm != nil {
		c = crm(srv)
	}
	set, err := rules.Load("override.yaml", []byte(overrideRules), rules.WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	eng := preparedWith(t, set, c)
	srv.ResetCounts()
	return eng, set, srv
}

func vipLead(email, a string) *rules.Event {
	return formEvent(email, map[string]any{"vip": "yes", "a": a})
}

// TestRepeatLeadNoOwnerFlipFlop: the later rule's owner wins on the create
// and on every repeat, and a repeat of an unchanged lead costs the search
// only (the pool route it overrides never comes back as a PATCH).
func TestRepeatLeadNoOwnerFlipFlop(t *testing.T) {
	eng, set, srv := overrideEngine(t, nil)
	ctx := context.Background()
	if _, err := eng.Process(ctx, set, vipLead("jane@acme.io", "x"), false); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	for i := range 5 {
		out, err := eng.Process(ctx, set, vipLead("jane@acme.io", "x"), false)
		if err != nil {
			t.Fatalf("repeat %d: %v", i, err)
		}
		wantOutcome(t, out, engine.ActionUnchanged)
	}
	wantCalls(t, srv.Counts(), map[string]int{"contacts.list": 5}) // 5 searches, no PATCH
	cs := srv.Contacts()
	if len(cs) != 1 || cs[0].OwnerID != laterOwner {
		t.Fatalf("contacts %+v, want one owned by %d", cs, laterOwner)
	}
}

// TestRepeatLeadWrongOwnerPatchedOnce: a contact owned by the overridden
// pool owner is moved to the later rule's owner once, then left alone.
func TestRepeatLeadWrongOwnerPatchedOnce(t *testing.T) {
	eng, set, srv := overrideEngine(t, nil)
	ctx := context.Background()
	srv.AddContact(deskera.Contact{Name: "Jane Doe", Email: "jane@acme.io", OwnerID: poolOwner,
		CustomField: []deskera.CustomField{{Label: "Field A", Value: "x"}}})
	for range 3 {
		if _, err := eng.Process(ctx, set, vipLead("jane@acme.io", "x"), false); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Count("contacts.update"); got != 1 {
		t.Errorf("owner PATCHes = %d, want 1", got)
	}
	if cs := srv.Contacts(); len(cs) != 1 || cs[0].OwnerID != laterOwner {
		t.Errorf("contacts %+v, want one owned by %d", cs, laterOwner)
	}
}

func TestConcurrentNewLeadOneFinalOwner(t *testing.T) {
	eng, set, srv := overrideEngine(t, nil)
	processConcurrently(t, eng, set, 20, func() *rules.Event { return vipLead("same@acme.io", "x") })
	if got := srv.Counts(); got["contacts.create"] != 1 || got["contacts.update"] != 0 {
		t.Errorf("calls %v, want 1 create and 0 owner PATCHes", got)
	}
	if cs := srv.Contacts(); len(cs) != 1 || cs[0].OwnerID != laterOwner {
		t.Errorf("contacts %+v, want one owned by %d (the later rule)", cs, laterOwner)
	}
}

// TestPatchKeepsOtherCustomFields: the fake replaces custom_field on PATCH
// (the unsafe reading of the API document), so a PATCH must carry the
// contact's whole list: Field B survives a change of Field A, and Field A
// keeps its code.
func TestPatchKeepsOtherCustomFields(t *testing.T) {
	eng, set, srv := overrideEngine(t, nil)
	c := srv.AddContact(deskera.Contact{Name: "Jane Doe", Email: "jane@acme.io", OwnerID: laterOwner,
		CustomField: []deskera.CustomField{
			{Code: "D-0000013", Label: "Field A", Value: "old"},
			{Code: "D-0000014", Label: "Field B", Value: "keep-me"},
		}})
	if _, err := eng.Process(context.Background(), set, vipLead("jane@acme.io", "new"), false); err != nil {
		t.Fatal(err)
	}
	after, _ := srv.Contact(c.ID)
	got := map[string]deskera.CustomField{}
	for _, cf := range after.CustomField {
		got[cf.Label] = cf
	}
	if a := got["Field A"]; a.Value != "new" || a.Code != "D-0000013" {
		t.Errorf("Field A = %+v, want value new with its code", a)
	}
	if b := got["Field B"]; b.Value != "keep-me" || b.Code != "D-0000014" {
		t.Errorf("Field B = %+v, want keep-me (erased by the PATCH?)", b)
	}
	if n := srv.Count("contacts.update"); n != 1 {
		t.Errorf("PATCHes = %d, want 1", n)
	}
}

// faultyCreate arms a fake fault just before each create, so the fault
// hits the POST and not the search before it.
type faultyCreate struct {
	engine.CRM
	arm func()
}

func (f *faultyCreate) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	if f.arm != nil {
		f.arm()
		f.arm = nil
	}
	return f.CRM.CreateContact(ctx, d)
}

// TestCreateAppliedThenFailedNeverDuplicates: Deskera applies the create and
// then answers 429 or 5xx, or the answer is lost. The client never POSTs
// again; the engine searches, finds the contact and finishes the plan.
func TestCreateAppliedThenFailedNeverDuplicates(t *testing.T) {
	cases := []struct {
		name string
		arm  func(*deskeratest.Server)
	}{
		{"429", func(s *deskeratest.Server) { s.FailNextAfterApply(1, http.StatusTooManyRequests, 0) }},
		{"503", func(s *deskeratest.Server) { s.FailNextAfterApply(1, http.StatusServiceUnavailable, 0) }},
		{"500", func(s *deskeratest.Server) { s.FailNextAfterApply(1, http.StatusInternalServerError, 0) }},
		{"dropped", func(s *deskeratest.Server) { s.DropNextAfterApply(1) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng, set, srv := overrideEngine(t, func(s *deskeratest.Server) engine.CRM {
				return &faultyCreate{CRM: s.Client(), arm: func() { tc.arm(s) }}
			})
			ctx := context.Background()
			out, err := eng.Process(ctx, set, vipLead("jane@acme.io", "x"), false)
			if err != nil {
				t.Fatalf("process: %v (the re-search should find the applied create)", err)
			}
			if i := slices.IndexFunc(out.Results, func(r engine.ActionResult) bool { return r.Outcome != engine.ActionCreated }); i >= 0 {
				t.Errorf("result %+v, want created", out.Results[i])
			}
			if _, err := eng.Process(ctx, set, vipLead("jane@acme.io", "x"), false); err != nil {
				t.Fatalf("repeat: %v", err)
			}
			if n := srv.Count("contacts.create"); n != 1 {
				t.Errorf("creates = %d, want 1 (never POST twice)", n)
			}
			if cs := srv.Contacts(); len(cs) != 1 || cs[0].OwnerID != laterOwner {
				t.Errorf("contacts %+v, want exactly one owned by %d", cs, laterOwner)
			}
		})
	}
}

// TestDryRunLooksContactUp: a dry run searches (and reads labels) so it
// plans nothing for an existing, unchanged contact and never a create; the
// fake sees only reads.
func TestDryRunLooksContactUp(t *testing.T) {
	eng, set, srv := newEngine(t)
	ctx := context.Background()
	if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	out, err := eng.Process(ctx, set, hotLead("jane@acme.io"), true)
	if err != nil {
		t.Fatal(err)
	}
	for op := range srv.Counts() {
		if !slices.Contains([]string{"contacts.list", "contacts.get", "labels.list", "labels.get"}, op) {
			t.Errorf("dry run sent %s; want reads only (%v)", op, srv.Counts())
		}
	}
	if srv.Count("contacts.list") != 1 {
		t.Errorf("dry run searches = %d, want 1", srv.Count("contacts.list"))
	}
	for _, c := range out.Calls {
		if c.Method != http.MethodGet {
			t.Errorf("dry run plans %s %s for an unchanged existing contact", c.Method, c.Path)
		}
	}
	for _, r := range out.Results {
		if r.Outcome == engine.ActionCreated || r.Outcome == engine.ActionPlanned && r.ContactID == 0 {
			t.Errorf("dry run result %+v plans a create for an existing contact", r)
		}
	}
}
