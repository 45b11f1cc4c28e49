package engine_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
	"github.com/leadhook/leadhook/rules/internal/fixture"
)

// TestBurstStragglers: a delivery of the burst's email that arrives after
// the burst's chain drained takes the burst's contact within BurstLinger
// (no search: the burst costs 2 calls in all), and searches again after
// it, or after a write made outside the chain.
func TestBurstStragglers(t *testing.T) {
	bulk := func(dry bool) func(*testing.T, *engine.Engine, *clock, int64) {
		return func(t *testing.T, eng *engine.Engine, _ *clock, id int64) {
			t.Helper()
			if _, err := eng.Bulk(context.Background(), []engine.Change{{ContactID: id, Field: engine.FieldOwnerID, Value: "17826"}}, 0, dry); err != nil {
				t.Fatal(err)
			}
		}
	}
	wait := func(d time.Duration) func(*testing.T, *engine.Engine, *clock, int64) {
		return func(_ *testing.T, _ *engine.Engine, c *clock, _ int64) { c.t = c.t.Add(d) }
	}
	cases := []struct {
		name string
		// between runs after the burst, before the straggler; id is the
		// burst's contact.
		between    func(t *testing.T, eng *engine.Engine, c *clock, id int64)
		wantSearch int
	}{
		{name: "within the linger", between: wait(engine.BurstLinger / 2), wantSearch: 1},
		{name: "after the linger", between: wait(engine.BurstLinger), wantSearch: 2},
		{name: "after a bulk change", between: bulk(false), wantSearch: 2},
		{name: "after a dry-run bulk change", between: bulk(true), wantSearch: 1},
		{name: "after a delivery by contact id", between: func(t *testing.T, eng *engine.Engine, _ *clock, id int64) {
			t.Helper()
			ev := fixture.HotLead("straggler@acme.io")
			ev.ContactID = id
			if _, err := eng.Process(context.Background(), mustLoad(t, "../../rules.example.yaml"), ev, false); err != nil {
				t.Fatal(err)
			}
		}, wantSearch: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
			ev := func(int) *rules.Event { return fixture.HotLead("straggler@acme.io") }
			eng, _, _, srv := burstOn(t, 8, ev, nil, engine.WithClock(c.now))
			key := rules.ContactKey(ev(0), nil)
			if !eng.Lingers(key) {
				t.Fatal("the burst's contact does not linger")
			}
			cs := srv.Contacts()
			if len(cs) != 1 {
				t.Fatalf("%d contacts after the burst, want 1", len(cs))
			}
			tc.between(t, eng, c, int64(cs[0].ID))
			set := mustLoad(t, "../../rules.example.yaml")
			if _, err := eng.Process(context.Background(), set, ev(0), false); err != nil {
				t.Fatal(err)
			}
			calls := srv.Counts()
			if calls["contacts.list"] != tc.wantSearch || calls["contacts.create"] != 1 {
				t.Errorf("calls = %v, want %d searches and 1 create", calls, tc.wantSearch)
			}
			if len(srv.Contacts()) != 1 {
				t.Errorf("%d contacts, want 1", len(srv.Contacts()))
			}
		})
	}
}

// TestLoneDeliveriesDoNotLinger: deliveries that never overlap leave
// nothing behind, so the next one searches (sees what changed in Deskera).
func TestLoneDeliveriesDoNotLinger(t *testing.T) {
	eng, set, srv := newEngine(t)
	ev := fixture.HotLead("lone@acme.io")
	for range 3 {
		if _, err := eng.Process(context.Background(), set, ev, false); err != nil {
			t.Fatal(err)
		}
	}
	if eng.Lingers(rules.ContactKey(ev, nil)) {
		t.Error("a lone delivery's contact lingers")
	}
	if calls := srv.Counts(); calls["contacts.list"] != 3 || calls["contacts.create"] != 1 {
		t.Errorf("calls = %v, want 3 searches and 1 create", calls)
	}
}

// TestLingeringIsForgotten: lingering keys are dropped once their time is
// up, when the next delivery of any key comes.
func TestLingeringIsForgotten(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	ev := func(int) *rules.Event { return fixture.HotLead("forgotten@acme.io") }
	eng, _, _, _ := burstOn(t, 4, ev, nil, engine.WithClock(c.now))
	key := rules.ContactKey(ev(0), nil)
	c.t = c.t.Add(engine.BurstLinger + time.Millisecond)
	set := mustLoad(t, "../../rules.example.yaml")
	for i := range 2 {
		other := fixture.HotLead("other" + strconv.Itoa(i) + "@acme.io")
		if _, err := eng.Process(context.Background(), set, other, false); err != nil {
			t.Fatal(err)
		}
	}
	if eng.Lingers(key) {
		t.Error("an expired key still lingers")
	}
}
