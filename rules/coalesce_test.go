package rules_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// gatedCRM holds the first contact search until release is closed, so a
// test can line every delivery up behind the first one.
type gatedCRM struct {
	rules.CRM
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gatedCRM) ListContacts(ctx context.Context, o *deskera.ListContactsOptions) (*deskera.ContactList, error) {
	g.once.Do(func() { close(g.entered); <-g.release })
	return g.CRM.ListContacts(ctx, o)
}

// burst sends n deliveries of ev for one new contact at once, the first
// one's search held until the other n-1 are queued on the contact's lock.
func burst(t *testing.T, n int, ev func(i int) *rules.Event) (*rules.Engine, map[string]int, []*rules.Outcome) {
	t.Helper()
	_, set, srv := newEngine(t)
	g := &gatedCRM{CRM: srv.Client(), entered: make(chan struct{}), release: make(chan struct{})}
	eng, err := rules.NewEngine(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Prepare(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	outs := make([]*rules.Outcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { outs[i], errs[i] = eng.Process(context.Background(), set, ev(i), false) })
	}
	<-g.entered
	key := rules.ContactKey(ev(0), nil)
	for eng.Waiting(key) < n { // every delivery joined (not a timing assumption: it waits until they have)
		runtime.Gosched()
	}
	close(g.release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if got := eng.Waiting(key); got != 0 {
		t.Errorf("%d deliveries still registered after the burst", got)
	}
	return eng, srv.Counts(), outs
}

func TestBurstOfDuplicatesIsOneSearchOneCreate(t *testing.T) {
	_, calls, outs := burst(t, 50, func(int) *rules.Event { return hotLead("burst@acme.io") })
	if want := map[string]int{"contacts.list": 1, "contacts.create": 1}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
	created := 0
	for _, o := range outs {
		for _, r := range o.Results {
			if r.Outcome == rules.OutcomeCreated {
				created++
			}
			if r.Outcome == rules.OutcomeFailed {
				t.Errorf("a delivery failed: %+v", r)
			}
		}
		if len(o.Calls) > 2 {
			t.Errorf("a delivery lists %d calls: %+v", len(o.Calls), o.Calls)
		}
	}
	if created == 0 {
		t.Error("no delivery reports the create")
	}
}

func TestBurstWithNewDataStillCreatesOnce(t *testing.T) {
	// Delivery 7 brings another name. Deskera answers a PATCH with no
	// body, so the holder after a PATCH searches again; whatever the order
	// the deliveries get the lock in, there is one create, and at most two
	// PATCHes (to the new name and back) and three searches.
	_, calls, _ := burst(t, 20, func(i int) *rules.Event {
		ev := hotLead("burst2@acme.io")
		if i == 7 {
			ev.Name = "Jane Q. Doe"
		}
		return ev
	})
	if calls["contacts.create"] != 1 {
		t.Errorf("contacts.create = %d, want 1 (calls %v)", calls["contacts.create"], calls)
	}
	if u, l := calls["contacts.update"], calls["contacts.list"]; u < 1 || u > 2 || l < 1 || l > 3 {
		t.Errorf("calls = %v, want 1-2 PATCHes and 1-3 searches", calls)
	}
}
