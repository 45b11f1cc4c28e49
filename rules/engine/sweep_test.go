package engine_test

import (
	"context"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestSweep10000(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 contacts")
	}
	eng, set, srv := newEngine(t)
	srv.SeedContacts(9000) // example.com: business mail, 20 points -> Cold lead
	for i := range 1000 {  // free mail with a phone and the Warm label: 5+10 -> Cold, unless kept
		label := deskera.ID(labelWarm)
		if i%10 == 0 {
			label = labelCold // already right: unchanged
		}
		srv.AddContact(deskera.Contact{Name: "F", Email: "f" + string(rune('a'+i%26)) + "@gmail.com", Phone: "123", LabelID: label})
	}
	srv.ResetCounts()
	var progress int
	res, err := eng.Sweep(context.Background(), set, engine.SweepOptions{Progress: func(engine.SweepProgress) { progress++ }})
	if err != nil {
		t.Fatal(err)
	}
	pages := (10000 + 99) / 100
	chunks := (9900 + 199) / 200
	if res.Scanned != 10000 || res.Pages != pages || progress != pages {
		t.Errorf("scanned %d pages %d progress %d", res.Scanned, res.Pages, progress)
	}
	if res.Changed != 9900 || res.Unchanged != 100 || res.ByLabel["Cold lead"] != 9900 {
		t.Errorf("changed %d unchanged %d by label %v", res.Changed, res.Unchanged, res.ByLabel)
	}
	if got, max := srv.Total(), pages+chunks; got > max || res.CallCount != got {
		t.Errorf("calls = %d (reported %d), want <= pages + chunks = %d (%v)", got, res.CallCount, max, srv.Counts())
	}
	if got := srv.Count("contacts.bulk_update"); got != chunks {
		t.Errorf("bulk updates = %d, want %d", got, chunks)
	}
	for _, c := range srv.Contacts() {
		if c.LabelID != labelCold {
			t.Fatalf("contact %d label %d, want Cold lead", c.ID, c.LabelID)
		}
	}
	// A second sweep finds nothing to change: pages only.
	srv.ResetCounts()
	res, err = eng.Sweep(context.Background(), set, engine.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 0 || srv.Total() != pages {
		t.Errorf("second sweep changed %d with %d calls", res.Changed, srv.Total())
	}
}

func TestSweepPolicyAndDryRun(t *testing.T) {
	eng, set, srv := newEngine(t)
	srv.SeedContacts(250)
	srv.AddContact(deskera.Contact{Name: "Org", Email: "org@acme.io", Type: "organization"}) // sweep.when excludes
	srv.AddContact(deskera.Contact{Name: "NoMail"})                                          // sweep.when excludes
	kept := srv.AddContact(deskera.Contact{Name: "Spam", Email: "s@acme.io"})
	ctx := context.Background()
	// Label the "kept" contact Spam (a keep_labels label).
	spam := findLabel(t, srv, "Spam")
	if err := srv.Client().BulkUpdateContacts(ctx, &deskera.BulkUpdateContact{IDs: []deskera.ID{kept.ID}, LabelID: spam}); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	res, err := eng.Sweep(ctx, set, engine.SweepOptions{DryRun: true, PageSize: 50, ChunkSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Count("contacts.bulk_update") != 0 {
		t.Errorf("dry run wrote: %v", srv.Counts())
	}
	if res.Scanned != 253 || res.Skipped != 2 || res.Kept != 1 || res.Changed != 250 || res.Pages != 6 {
		t.Errorf("result %+v", res)
	}
	var bulk int
	for _, c := range res.Calls {
		if c.Op == "contacts.bulk_update" {
			bulk++
			if n := len(c.Body.(*deskera.BulkUpdateContact).IDs); n > 100 {
				t.Errorf("chunk of %d ids", n)
			}
		}
	}
	if bulk != 3 {
		t.Errorf("planned %d bulk updates, want 3", bulk)
	}
}

func findLabel(t *testing.T, srv *deskeratest.Server, name string) deskera.ID {
	t.Helper()
	for _, l := range srv.Labels() {
		if l.Name == name {
			return l.ID
		}
	}
	t.Fatalf("label %q not found", name)
	return 0
}
