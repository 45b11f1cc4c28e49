package engine_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestBulkGroupsAndChunks(t *testing.T) {
	eng, _, srv := newEngine(t)
	ids := srv.SeedContacts(25)
	var changes []engine.Change
	for i, id := range ids {
		owner := "17826"
		if i%2 == 0 {
			owner = "21584"
		}
		changes = append(changes,
			engine.Change{ContactID: int64(id), Field: engine.FieldOwnerID, Value: owner},
			engine.Change{ContactID: int64(id), Field: engine.FieldLabelID, Value: strconv.Itoa(labelWarm)})
	}
	// A later change for the same contact and field wins.
	changes = append(changes, engine.Change{ContactID: int64(ids[0]), Field: engine.FieldOwnerID, Value: "17826"})
	srv.ResetCounts()
	res, err := eng.Bulk(context.Background(), changes, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	// owner 21584: 12 ids -> 2 chunks; owner 17826: 13 -> 2; label: 25 -> 3.
	if got := srv.Count("contacts.bulk_update"); got != 7 || len(res.Calls) != 7 || res.Contacts != 50 {
		t.Errorf("bulk calls %d, listed %d, contacts %d; want 7, 7, 50", got, len(res.Calls), res.Contacts)
	}
	c, _ := srv.Contact(ids[0])
	if c.OwnerID != 17826 || c.LabelID != labelWarm {
		t.Errorf("contact %d owner %d label %d", c.ID, c.OwnerID, c.LabelID)
	}
	srv.ResetCounts()
	if _, err := eng.Bulk(context.Background(), changes, 10, true); err != nil || srv.Total() != 0 {
		t.Errorf("dry run: err %v, calls %d", err, srv.Total())
	}
	for _, bad := range []engine.Change{{ContactID: 1, Field: "name", Value: "x"}, {ContactID: 1, Field: engine.FieldOwnerID, Value: "abc"}} {
		if _, err := eng.Bulk(context.Background(), []engine.Change{bad}, 0, true); err == nil {
			t.Errorf("Bulk(%+v) succeeded", bad)
		}
	}
}

func TestProcessMatchOnPhoneAndLabelRefresh(t *testing.T) {
	eng, _, srv := newEngine(t)
	set, err := rules.Load("phone.yaml", []byte(`
labels: [Partner]
rules:
  - name: by-phone
    when: 'event.phone != ""'
    actions:
      - upsert_contact: {match_on: phone, set: {name: event.name}}
      - assign_label: Partner
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Partner is created in Deskera after start-up: the cache refreshes on the miss.
	partner, err := srv.Client().CreateLabel(ctx, &deskera.LabelRequest{Name: "Partner"})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.AddContact(deskera.Contact{Name: "Old", Phone: "+65 8575 8458"})
	srv.ResetCounts()
	ev := &rules.Event{Kind: rules.KindForm, Name: "New Name", Phone: "+65 8575 8458"}
	if _, err := eng.Process(ctx, set, ev, false); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Contact(c.ID)
	if got.Name != "New Name" || got.LabelID != partner {
		t.Errorf("contact name %q label %d, want %q %d", got.Name, got.LabelID, "New Name", partner)
	}
	wantCalls(t, srv.Counts(), map[string]int{"contacts.list": 1, "labels.list": 1, "contacts.update": 1})
}
