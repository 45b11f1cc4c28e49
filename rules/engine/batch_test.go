package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// reorderingCRM answers POST /contacts/multiple in reverse order: the API
// document does not say the answer follows the request, so the engine
// must match contacts by id (the fake keeps the order: the safe reading
// there, this is the other one).
type reorderingCRM struct{ *deskera.Client }

func (r reorderingCRM) GetContactsByIDs(ctx context.Context, ids []deskera.ID) ([]deskera.Contact, error) {
	cs, err := r.Client.GetContactsByIDs(ctx, ids)
	slices.Reverse(cs)
	return cs, err
}

// TestProcessBatchMatchesContactsByID: with the contacts answered in
// another order, and one id unknown, every event still acts on its own
// contact: the orphaned ones go to their routed owners, the won deal
// becomes Customer, the unknown id's actions are skipped.
func TestProcessBatchMatchesContactsByID(t *testing.T) {
	_, set, srv := newEngine(t)
	eng := preparedWith(t, set, reorderingCRM{srv.Client()})
	sales := poolOwners(t, set, "sales")
	customer := findLabel(t, srv, "Customer")
	var evs []*rules.Event
	want := map[deskera.ID][2]deskera.ID{}
	for i := range 5 {
		email := fmt.Sprintf("b%d@acme.io", i)
		// A stored score (Lead score) above the event's: no score to write.
		c := srv.AddContact(deskera.Contact{Name: "B", Email: email, OwnerID: 99999, CustomField: []deskera.CustomField{
			{Label: "Lead score", Value: "30"}, {Label: "Lead score at", Value: time.Now().UTC().Format(time.RFC3339)}}})
		ev := &rules.Event{ID: fmt.Sprint("e", i), Kind: rules.KindCRM, Email: email, ContactID: int64(c.ID), Fields: map[string]any{}}
		want[c.ID] = [2]deskera.ID{1, deskera.ID(rules.Route(sales, email))}
		if i == 4 {
			ev.Fields["deal_status"] = "won"
			want[c.ID] = [2]deskera.ID{customer, 17826}
		}
		evs = append(evs, ev)
	}
	evs = append(evs, &rules.Event{ID: "gone", Kind: rules.KindCRM, ContactID: 424242, Fields: map[string]any{"deal_status": "won"}})
	srv.ResetCounts()
	outs, errs := eng.ProcessBatch(context.Background(), set, evs, false)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if srv.Count("contacts.multiple") != 1 || srv.Count("contacts.get") != 0 || srv.Count("contacts.update") != 0 {
		t.Errorf("calls %v", srv.Counts())
	}
	for id, w := range want {
		c, _ := srv.Contact(id)
		if c.LabelID != w[0] || c.OwnerID != w[1] {
			t.Errorf("contact %d: label %d owner %d, want %d %d", id, c.LabelID, c.OwnerID, w[0], w[1])
		}
	}
	for _, r := range outs[len(outs)-1].Results {
		if r.Outcome != engine.ActionSkipped {
			t.Errorf("unknown contact: %+v, want skipped", r)
		}
	}
	// A dry run of the same batch plans nothing (all applied) and writes nothing.
	srv.ResetCounts()
	outs, _ = eng.ProcessBatch(context.Background(), set, evs, true)
	if srv.Count("contacts.bulk_update") != 0 || srv.Count("contacts.multiple") != 1 {
		t.Errorf("dry run calls %v", srv.Counts())
	}
	for _, o := range outs[:5] {
		for _, r := range o.Results {
			if r.Outcome != engine.ActionUnchanged {
				t.Errorf("repeat: %+v, want unchanged", r)
			}
		}
	}
}
