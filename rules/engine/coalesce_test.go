package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
	"github.com/leadhook/leadhook/rules/internal/fixture"
)

// gatedCRM holds the first contact search until release is closed, so a
// test can line every delivery up behind the first one.
type gatedCRM struct {
	engine.CRM
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
func burst(t *testing.T, n int, ev func(i int) *rules.Event) (*engine.Engine, map[string]int, []*engine.Outcome) {
	t.Helper()
	eng, calls, outs, _ := burstOn(t, n, ev, nil)
	return eng, calls, outs
}

// burstOn is burst with the CRM client wrapped by wrap (nil: as it is); it
// also returns the fake.
func burstOn(t *testing.T, n int, ev func(i int) *rules.Event, wrap func(engine.CRM) engine.CRM, opts ...engine.EngineOption) (*engine.Engine, map[string]int, []*engine.Outcome, *deskeratest.Server) {
	t.Helper()
	_, set, srv := newEngine(t)
	var crm engine.CRM = srv.Client()
	if wrap != nil {
		crm = wrap(crm)
	}
	g := &gatedCRM{CRM: crm, entered: make(chan struct{}), release: make(chan struct{})}
	eng := preparedWith(t, set, g, opts...)
	srv.ResetCounts()
	outs := make([]*engine.Outcome, n)
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
	return eng, srv.Counts(), outs, srv
}

func TestBurstOfDuplicatesIsOneSearchOneCreate(t *testing.T) {
	_, calls, outs := burst(t, 50, func(int) *rules.Event { return fixture.HotLead("burst@acme.io") })
	if want := map[string]int{"contacts.list": 1, "contacts.create": 1}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
	created := 0
	for _, o := range outs {
		for _, r := range o.Results {
			if r.Outcome == engine.ActionCreated {
				created++
			}
			if r.Outcome == engine.ActionFailed {
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
	// Delivery 7 brings another name. Whatever the order the deliveries
	// get the lock in, there is one create, and at most two PATCHes (to
	// the new name and back) and three searches.
	_, calls, _ := burst(t, 20, func(i int) *rules.Event {
		ev := fixture.HotLead("burst2@acme.io")
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

// thinReplies answers creates with the id and email only: the document
// shows a create reply but does not promise every field in it.
type thinReplies struct{ engine.CRM }

func (c thinReplies) CreateContact(ctx context.Context, dto *deskera.ContactSaveDto) (*deskera.Contact, error) {
	got, err := c.CRM.CreateContact(ctx, dto)
	if err != nil || got == nil {
		return got, err
	}
	return &deskera.Contact{ID: got.ID, Email: got.Email}, nil
}

// TestBurstHandoffKeepsWhatTheCreateWrote: the delivery after the create
// merges against what the create wrote, not against Deskera's (thin)
// reply, so its PATCH (another name) keeps the label and the stored score
// fields instead of writing their absence back.
func TestBurstHandoffKeepsWhatTheCreateWrote(t *testing.T) {
	_, calls, _, srv := burstOn(t, 2, func(i int) *rules.Event {
		ev := fixture.HotLead("thin@acme.io")
		if i == 1 {
			ev.Name = "Jane Q. Doe"
		}
		return ev
	}, func(c engine.CRM) engine.CRM { return thinReplies{c} })
	cs := srv.Contacts()
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1 (calls %v)", len(cs), calls)
	}
	c := cs[0]
	if c.LabelID == 0 || len(c.CustomField) == 0 {
		t.Errorf("contact lost what the create wrote: label %d, custom fields %+v (calls %v)", c.LabelID, c.CustomField, calls)
	}
	if calls["contacts.list"] != 1 {
		t.Errorf("contacts.list = %d, want 1 (calls %v)", calls["contacts.list"], calls)
	}
}
