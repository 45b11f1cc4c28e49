package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// TestSweepReassignsOwnersInBulk: the example's sweep rule hands the
// contacts of a departed owner (99999) to the sales pool, routed by the
// contact key as events are, in the same bulk PATCHes as the relabelling:
// one call per distinct (label, owner) change per chunk, not one per contact.
func TestSweepReassignsOwnersInBulk(t *testing.T) {
	eng, set, srv := newEngine(t)
	sales := poolOwners(t, set, "sales")
	want := map[deskera.ID]deskera.ID{} // contact -> owner expected
	groups := map[[2]deskera.ID]int{}   // (label change, owner change) -> contacts
	for i := range 700 {
		c := deskera.Contact{Name: "C", Email: fmt.Sprintf("c%d@acme.io", i)} // business mail: Cold lead
		switch {
		case i < 300: // orphaned, label changes too
			c.OwnerID = 99999
		case i < 400: // orphaned, already Cold: the owner alone changes
			c.OwnerID, c.LabelID = 99999, labelCold
		case i < 450: // nothing changes
			c.LabelID = labelCold
		}
		got := srv.AddContact(c)
		owner := got.OwnerID
		var labelCh, ownerCh deskera.ID
		if c.OwnerID == 99999 {
			owner = deskera.ID(rules.Route(sales, c.Email))
			ownerCh = owner
		}
		if c.LabelID != labelCold {
			labelCh = labelCold
		}
		want[got.ID] = owner
		if labelCh != 0 || ownerCh != 0 {
			groups[[2]deskera.ID{labelCh, ownerCh}]++
		}
	}
	const chunk = 100
	wantCalls := 0
	for _, n := range groups {
		wantCalls += (n + chunk - 1) / chunk
	}
	srv.ResetCounts()
	res, err := eng.Sweep(context.Background(), set, engine.SweepOptions{PageSize: 100, ChunkSize: chunk})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Count("contacts.bulk_update"); got != wantCalls || got > 700/10 {
		t.Errorf("bulk PATCHes = %d, want %d (one per change set per chunk; naive: 400 owner PATCHes)", got, wantCalls)
	}
	if srv.Count("contacts.update") != 0 || srv.Total() != 7+wantCalls || res.CallCount != srv.Total() {
		t.Errorf("calls %v (reported %d), want 7 pages + %d bulk PATCHes", srv.Counts(), res.CallCount, wantCalls)
	}
	if res.Scanned != 700 || res.Changed != 550 || res.Reassigned != 400 || res.Matched != 400 {
		t.Errorf("scanned %d changed %d reassigned %d matched %d", res.Scanned, res.Changed, res.Reassigned, res.Matched)
	}
	sum := 0
	for _, o := range sales {
		sum += res.ByOwner[strconv.FormatInt(o.ID, 10)]
	}
	if sum != 400 || len(res.ByOwner) != len(sales) {
		t.Errorf("by owner %v, want the 400 spread over the sales pool", res.ByOwner)
	}
	for _, c := range srv.Contacts() {
		if c.OwnerID != want[c.ID] || c.LabelID != labelCold {
			t.Fatalf("contact %d (%s): owner %d label %d, want owner %d label %d", c.ID, c.Email, c.OwnerID, c.LabelID, want[c.ID], labelCold)
		}
	}
	// A repeat finds nothing to do: list pages only.
	srv.ResetCounts()
	if res, err = eng.Sweep(context.Background(), set, engine.SweepOptions{PageSize: 100, ChunkSize: chunk}); err != nil || srv.Total() != 7 || res.Reassigned != 0 {
		t.Errorf("second sweep: err %v, calls %v, reassigned %d", err, srv.Counts(), res.Reassigned)
	}
}

// TestSweepOwnerRulesLoad: sweep rules are checked at load.
func TestSweepOwnerRulesLoad(t *testing.T) {
	const head = "owners: {sales: [1, 2]}\nthresholds: {}\nsweep:\n  rules:\n"
	cases := []struct {
		name, rules, want string
	}{
		{"pool", "    - {name: a, when: 'contact.owner_id == 0', assign_owner: {pool: sales}}\n", ""},
		{"id", "    - {name: a, when: 'true', assign_owner: 7}\n", ""},
		{"unknown pool", "    - {name: a, when: 'true', assign_owner: {pool: sale}}\n", `owner pool "sale" is not declared`},
		{"no owner", "    - {name: a, when: 'true'}\n", "sweep rule has no assign_owner"},
		{"no when", "    - {name: a, assign_owner: 7}\n", "sweep rule has no when"},
		{"bad when", "    - {name: a, when: 'contact.owner', assign_owner: 7}\n", "when"},
		{"unknown key", "    - {name: a, when: 'true', assign_owner: 7, assign_label: Hot lead}\n", "assign_label"},
		{"duplicate", "    - {name: a, when: 'true', assign_owner: 7}\n    - {name: a, when: 'true', assign_owner: 8}\n", "duplicate sweep rule name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set, err := rules.Load("s.yaml", []byte(head+tc.rules))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("load: %v", err)
			case tc.want == "":
				if len(set.Sweep().Rules) == 0 {
					t.Error("no sweep rules loaded")
				}
			case err == nil:
				t.Fatalf("loaded; want an error with %q", tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// seedOwner adds n contacts owned by owner.
func seedOwner(srv *deskeratest.Server, n int, owner deskera.ID) {
	for i := range n {
		srv.AddContact(deskera.Contact{Name: "R", Email: fmt.Sprintf("rep%d@acme.io", i), OwnerID: owner})
	}
}

// TestReassignResumesAfterFailure: a reassign that fails half way (the
// fake refuses the 5th of 7 bulk PATCHes, whose chunks span pages) resumes from
// its checkpoint; the final state and the summary equal those of a run
// that never failed, and no contact is sent twice.
func TestReassignResumesAfterFailure(t *testing.T) {
	eng, set, srv := newEngine(t)
	sales := poolOwners(t, set, "sales")
	seedOwner(srv, 450, 5555)
	srv.AddContact(deskera.Contact{Name: "Other", Email: "other@acme.io", OwnerID: 17826})
	target := rules.ReassignTarget{FromOwner: 5555, Pool: "sales"}
	var last *engine.SweepCheckpoint
	opts := engine.SweepOptions{PageSize: 100, ChunkSize: 100, Checkpoint: func(cp *engine.SweepCheckpoint) error {
		last = cp
		return nil
	}}
	srv.ResetCounts()
	srv.FailOpAfter("contacts.bulk_update", 4, 1, http.StatusBadRequest)
	_, err := eng.Reassign(context.Background(), set, target, opts)
	var api *deskera.APIError
	if !errors.As(err, &api) || api.StatusCode != 400 {
		t.Fatalf("first run: err %v, want the injected 400", err)
	}
	if last == nil || last.Page >= 5 || len(last.Applied) == 0 {
		t.Fatalf("checkpoint %+v after a failure half way", last)
	}
	opts.Resume = last
	res, err := eng.Reassign(context.Background(), set, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i := range 450 {
		want[strconv.FormatInt(rules.Route(sales, fmt.Sprintf("rep%d@acme.io", i)), 10)]++
	}
	if res.Scanned != 451 || res.Reassigned != 450 || fmt.Sprint(res.ByOwner) != fmt.Sprint(want) || res.Pages != 5 {
		t.Errorf("summary: scanned %d reassigned %d pages %d by owner %v; want 451, 450, 5, %v", res.Scanned, res.Reassigned, res.Pages, res.ByOwner, want)
	}
	if res.CallCount != srv.Total() {
		t.Errorf("summary says %d calls, the fake saw %d (%v)", res.CallCount, srv.Total(), srv.Counts())
	}
	for _, c := range srv.Contacts() {
		if c.OwnerID == 5555 {
			t.Fatalf("contact %d still owned by 5555", c.ID)
		}
	}
	// Bulk PATCHes: one per pool owner per chunk of 100, plus the refused one.
	if got := srv.Count("contacts.bulk_update"); got != 7+1 {
		t.Errorf("bulk PATCHes %d, want 7 + the refused one (%v)", got, srv.Counts())
	}
}

// sweepSeed adds contacts whose relabel and owner changes interleave
// across pages: business mail (Cold lead), a third of them orphaned.
func sweepSeed(srv *deskeratest.Server) {
	for i := range 530 {
		c := deskera.Contact{Name: "S", Email: fmt.Sprintf("s%d@acme.io", i)}
		if i%3 == 0 {
			c.OwnerID = 99999
		}
		if i%7 == 0 {
			c.LabelID = labelCold
		}
		srv.AddContact(c)
	}
}

// TestSweepResumeSummary: however often a sweep or reassign fails (every
// k-th bulk PATCH refused, k = 1..5), resuming from the last checkpoint
// until it completes ends with the contacts and the summary of a run that
// never failed; checkpoints change none of the calls.
func TestSweepResumeSummary(t *testing.T) {
	jobs := []struct {
		name string
		run  func(*engine.Engine, *rules.Set, engine.SweepOptions) (*engine.SweepResult, error)
	}{
		{"sweep", func(e *engine.Engine, s *rules.Set, o engine.SweepOptions) (*engine.SweepResult, error) {
			return e.Sweep(context.Background(), s, o)
		}},
		{"reassign", func(e *engine.Engine, s *rules.Set, o engine.SweepOptions) (*engine.SweepResult, error) {
			return e.Reassign(context.Background(), s, rules.ReassignTarget{FromOwner: 99999, Pool: "enterprise"}, o)
		}},
	}
	for _, job := range jobs {
		eng, set, clean := newEngine(t)
		sweepSeed(clean)
		want, err := job.run(eng, set, engine.SweepOptions{PageSize: 50, ChunkSize: 40})
		if err != nil {
			t.Fatal(err)
		}
		wantState, wantCalls := clean.Contacts(), clean.Counts()
		for k := 1; k <= 5; k++ {
			t.Run(fmt.Sprintf("%s/fail every %d", job.name, k), func(t *testing.T) {
				eng, set, srv := newEngine(t)
				sweepSeed(srv)
				var last *engine.SweepCheckpoint
				opts := engine.SweepOptions{PageSize: 50, ChunkSize: 40, Checkpoint: func(cp *engine.SweepCheckpoint) error {
					last = cp
					return nil
				}}
				var res *engine.SweepResult
				failures := 0
				for try := 0; ; try++ {
					if try > 50 {
						t.Fatal("never completed")
					}
					srv.FailOpAfter("contacts.bulk_update", k, 1, http.StatusBadRequest)
					if res, err = job.run(eng, set, opts); err == nil {
						break
					}
					failures++
					opts.Resume = last
				}
				if failures == 0 {
					t.Fatal("no failure injected")
				}
				got, exp := *res, *want
				got.Calls, exp.Calls, got.CallCount, exp.CallCount = nil, nil, 0, 0
				if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", exp) {
					t.Errorf("after %d failures the summary is\n%+v\nwant\n%+v", failures, got, exp)
				}
				if res.CallCount != srv.Total() {
					t.Errorf("summary says %d calls, the fake saw %d", res.CallCount, srv.Total())
				}
				if ownersAndLabels(srv.Contacts()) != ownersAndLabels(wantState) {
					t.Error("contacts differ from the run that never failed")
				}
				if n, w := srv.Count("contacts.bulk_update")-failures, wantCalls["contacts.bulk_update"]; n != w {
					t.Errorf("bulk PATCHes that succeeded %d, want %d (none sent twice)", n, w)
				}
			})
		}
	}
}

func ownersAndLabels(cs []deskera.Contact) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%d:%d/%d ", c.ID, c.LabelID, c.OwnerID)
	}
	return b.String()
}

// TestReassignTargets: table of reassign parameters, with dry runs that
// write nothing.
func TestReassignTargets(t *testing.T) {
	cases := []struct {
		name    string
		target  rules.ReassignTarget
		dry     bool
		wantErr string
		moved   int
	}{
		{name: "to owner", target: rules.ReassignTarget{FromOwner: 5555, ToOwner: 2675}, moved: 20},
		{name: "to pool with when", target: rules.ReassignTarget{FromOwner: 5555, Pool: "enterprise", When: `contact.email endsWith "1@acme.io"`}, moved: 2},
		{name: "dry run", target: rules.ReassignTarget{FromOwner: 5555, Pool: "sales"}, dry: true, moved: 20},
		{name: "unknown pool", target: rules.ReassignTarget{FromOwner: 5555, Pool: "sale"}, wantErr: `owner pool "sale" is not declared`},
		{name: "both targets", target: rules.ReassignTarget{FromOwner: 5555, Pool: "sales", ToOwner: 1}, wantErr: "either a pool or"},
		{name: "same owner", target: rules.ReassignTarget{FromOwner: 5555, ToOwner: 5555}, wantErr: "both 5555"},
		{name: "bad when", target: rules.ReassignTarget{FromOwner: 5555, ToOwner: 1, When: "contact.nope"}, wantErr: "when"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng, set, srv := newEngine(t)
			seedOwner(srv, 20, 5555)
			srv.ResetCounts()
			res, err := eng.Reassign(context.Background(), set, tc.target, engine.SweepOptions{DryRun: tc.dry})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if srv.Total() != 0 {
					t.Errorf("a refused reassign called Deskera: %v", srv.Counts())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			left := 0
			for _, c := range srv.Contacts() {
				if c.OwnerID == 5555 {
					left++
				}
			}
			if res.Reassigned != tc.moved {
				t.Errorf("reassigned %d, want %d", res.Reassigned, tc.moved)
			}
			if tc.dry {
				if left != 20 || srv.Count("contacts.bulk_update") != 0 || res.CallCount < 2 {
					t.Errorf("dry run: %d left, calls %v, planned %d", left, srv.Counts(), res.CallCount)
				}
				return
			}
			if left != 20-tc.moved {
				t.Errorf("%d contacts left with 5555, want %d", left, 20-tc.moved)
			}
		})
	}
}
