package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// recreateHot deletes "Hot lead" in Deskera and creates it again: same
// name, new id. It returns the new id.
func recreateHot(t *testing.T, srv *deskeratest.Server) deskera.ID {
	t.Helper()
	ctx := context.Background()
	c := srv.Client()
	if err := c.DeleteLabel(ctx, labelHot); err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateLabel(ctx, &deskera.LabelRequest{Name: "Hot lead"})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	return id
}

// TestStaleLabelIDReloadsAndRetries: Deskera refusing a cached label id
// reloads the labels once and acts again with the new id.
func TestStaleLabelIDReloadsAndRetries(t *testing.T) {
	eng, set, srv := newEngine(t)
	newID := recreateHot(t, srv)
	out, err := eng.Process(context.Background(), set, hotLead("hot@acme.io"), false)
	if err != nil {
		t.Fatalf("process: %v (%+v)", err, out.Results)
	}
	cs := srv.Contacts()
	if len(cs) != 1 || cs[0].LabelID != newID {
		t.Fatalf("contacts %+v, want one with label %d", cs, newID)
	}
	if got := srv.Count("labels.list"); got != 1 {
		t.Errorf("labels.list = %d, want 1 reload", got)
	}
}

// TestPeriodicLabelRefresh: each tick reloads the label cache, so a
// recreated label is known before any write is refused.
func TestPeriodicLabelRefresh(t *testing.T) {
	eng, set, srv := newEngine(t)
	newID := recreateHot(t, srv)
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		defer close(done)
		eng.RefreshLabelsOn(context.Background(), tick)
	}()
	tick <- time.Time{}
	close(tick)
	<-done
	if got := srv.Count("labels.list"); got != 1 {
		t.Fatalf("labels.list after one tick = %d, want 1", got)
	}
	if _, err := eng.Process(context.Background(), set, hotLead("hot@acme.io"), false); err != nil {
		t.Fatalf("process: %v", err)
	}
	if got := srv.Count("contacts.create"); got != 1 {
		t.Errorf("contacts.create = %d, want 1 (no write with the stale id)", got)
	}
	if cs := srv.Contacts(); len(cs) != 1 || cs[0].LabelID != newID {
		t.Errorf("contacts %+v, want label %d", cs, newID)
	}
}
