package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
	"github.com/leadhook/leadhook/internal/syncbuf"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// skipClock is the engines' clock in a soak: the wall clock plus the time
// the sender skipped instead of waiting a Retry-After. Work scheduled at a
// time (At) is done before anyone reads a time at or after it.
type skipClock struct {
	mu      sync.Mutex
	skipped time.Duration
	due     []scheduled
}

type scheduled struct {
	at time.Time
	fn func()
}

func (c *skipClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fire()
}

// Advance moves the clock d forward.
func (c *skipClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skipped += d
	c.fire()
}

// At schedules fn at time at.
func (c *skipClock) At(at time.Time, fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.due = append(c.due, scheduled{at, fn})
}

// Flush does every scheduled fn now, whatever its time.
func (c *skipClock) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.due {
		s.fn()
	}
	c.due = nil
}

// fire does what is due and returns the time; c.mu is held.
func (c *skipClock) fire() time.Time {
	now := time.Now().Add(c.skipped)
	keep := c.due[:0]
	for _, s := range c.due {
		if s.at.After(now) {
			keep = append(keep, s)
		} else {
			s.fn()
		}
	}
	c.due = keep
	return now
}

// lateCreates sits in front of next and, for a seeded share of creates,
// drops the connection unanswered and has the fake apply the create after
// later on the clock: Deskera committing a create after its answer was
// lost. With after longer than the service's Retry-After (1s) and shorter
// than the settle window, the sender's retry searches before the create
// lands and finds nothing: only the settle window, shared by every
// replica and measured from the retry's search, keeps it from creating
// the contact a second time.
type lateCreates struct {
	next  http.Handler
	fake  *deskeratest.Fake
	clock *skipClock
	after time.Duration

	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64
	sched    int
	applied  int
	rejected int // late applies the fake answered with an injected fault
}

func (l *lateCreates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	late := deskeraOp(r.Method, r.URL.Path) == "contacts.create" && l.rng.Float64() < l.rate
	if late {
		l.sched++
	}
	l.mu.Unlock()
	if !late {
		l.next.ServeHTTP(w, r)
		return
	}
	received := l.clock.Now()
	body, _ := io.ReadAll(r.Body)
	req := r.Clone(context.Background())
	l.clock.At(received.Add(l.after), func() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := l.fake.Transport().RoundTrip(req)
		l.mu.Lock()
		defer l.mu.Unlock()
		if err == nil && resp.StatusCode == http.StatusOK {
			l.applied++
		} else {
			l.rejected++ // the fake injected a fault: never applied
		}
	})
	hangUp(w)
}

// replicaPool is a fixed number of replica slots whose replicas restart:
// a restart starts a new replica (new Deskera client, engine and memory,
// from newOpts: the same Redis) in the slot, then stops the old one
// gracefully (in-flight requests finish; later ones are refused).
type replicaPool struct {
	newOpts func() replicaOptions
	every   int // every-th failure restarts the replica that answered it
	max     int // restarts at most

	mu       sync.Mutex
	slots    []*replicaSetup
	seq      []int // start number of each slot's replica (1-based)
	all      []*replicaSetup
	failures int
	restarts int
	errs     []error
}

func newReplicaPool(t *testing.T, n, every, max int, newOpts func() replicaOptions) *replicaPool {
	t.Helper()
	p := &replicaPool{newOpts: newOpts, every: every, max: max}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, r := range p.all {
			r.srv.Close()
		}
	})
	for range n {
		r, err := startReplica(newOpts())
		if err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		p.all = append(p.all, r)
		p.slots, p.seq = append(p.slots, r), append(p.seq, len(p.all))
		p.mu.Unlock()
	}
	return p
}

// target is attempt n's replica and its start number.
func (p *replicaPool) target(n int) (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := n % len(p.slots)
	return p.slots[i].srv.URL, p.seq[i]
}

// starts is how many replicas have started.
func (p *replicaPool) starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all)
}

// maybeRestart counts a failure answered by attempt n's replica and
// restarts that replica on every every-th one; it reports whether it did.
func (p *replicaPool) maybeRestart(n int) bool {
	p.mu.Lock()
	p.failures++
	if p.failures%p.every != 0 || p.restarts == p.max {
		p.mu.Unlock()
		return false
	}
	p.restarts++
	p.mu.Unlock()
	r, err := startReplica(p.newOpts())
	p.mu.Lock()
	if err != nil {
		p.errs = append(p.errs, err)
		p.mu.Unlock()
		return false
	}
	i := n % len(p.slots)
	old := p.slots[i]
	p.all = append(p.all, r)
	p.slots[i], p.seq[i] = r, len(p.all)
	p.mu.Unlock()
	old.srv.Close()
	return true
}

func (p *replicaPool) replicas() []*replicaSetup {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.all)
}

// ownerAudit sits in front of the fake and sorts every PATCH that sets
// owner_id (single or bulk) by what it did to each contact it names:
// changed the owner, found it already right (a redundant PATCH), or was
// not applied (an injected fault).
type ownerAudit struct {
	fake *deskeratest.Fake

	mu                           sync.Mutex
	sent, changed, redundant, na int
	changes                      map[deskera.ID]int // owner changes per contact
}

func (a *ownerAudit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := deskeraOp(r.Method, r.URL.Path)
	if op != "contacts.update" && op != "contacts.bulk_update" {
		a.fake.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		IDs     []deskera.ID `json:"ids"`
		OwnerID deskera.ID   `json:"owner_id"`
	}
	if json.Unmarshal(body, &req) != nil || req.OwnerID == 0 {
		a.fake.ServeHTTP(w, r)
		return
	}
	if op == "contacts.update" {
		id, _ := strconv.ParseInt(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:], 10, 64)
		req.IDs = []deskera.ID{deskera.ID(id)}
	}
	before := make([]deskera.ID, len(req.IDs))
	for i, id := range req.IDs {
		c, _ := a.fake.Contact(id)
		before[i] = c.OwnerID
	}
	defer func() { // the fake may abort the handler to drop the connection
		a.mu.Lock()
		defer a.mu.Unlock()
		a.sent++
		for i, id := range req.IDs {
			c, _ := a.fake.Contact(id)
			switch {
			case before[i] == req.OwnerID:
				a.redundant++
			case c.OwnerID == req.OwnerID:
				a.changed++
				a.changes[id]++
			default:
				a.na++
			}
		}
	}()
	a.fake.ServeHTTP(w, r)
}

// Fault mixes of the soak. Creates: 30% fail, half of them applied first
// (answered 429 or 503, or the connection dropped). Every other call: 15%
// fail without being applied, or (the second reading: Deskera commits a
// PATCH and loses its answer as it does a create) applied first too.
var (
	createFaults = deskeratest.FaultMix{Ops: []string{"contacts.create"}, Rate: 0.30, RetryAfter: 20 * time.Millisecond,
		Kinds: []deskeratest.FaultKind{deskeratest.FaultApplyThen429, deskeratest.FaultApplyThen503, deskeratest.FaultApplyThenDrop,
			deskeratest.FaultRateLimit, deskeratest.FaultStatus, deskeratest.FaultDrop}}
	otherFaults = deskeratest.FaultMix{Rate: 0.15, RetryAfter: 20 * time.Millisecond,
		Kinds: []deskeratest.FaultKind{deskeratest.FaultRateLimit, deskeratest.FaultStatus, deskeratest.FaultDrop}}
	patchApplyFaults = deskeratest.FaultMix{Ops: []string{"contacts.update", "contacts.bulk_update"}, Rate: 0.15, RetryAfter: 20 * time.Millisecond,
		Kinds: []deskeratest.FaultKind{deskeratest.FaultApplyThen429, deskeratest.FaultApplyThen503, deskeratest.FaultApplyThenDrop,
			deskeratest.FaultRateLimit, deskeratest.FaultStatus, deskeratest.FaultDrop}}
)

// TestSoakReplicasRestartsFaults is issue 14's soak: distinct leads
// (-soak.leads, default 1,000, the same with -race: about 12 s of CPU for
// both cases, the second with 30% of the leads) plus 20% repeats (half
// redeliveries, half new submissions sent together with the original)
// go to two replicas sharing one Redis (idempotency store, per-contact
// lock and settle window, wired as leadhook serve does), which restart
// between a failed attempt and its retry, against a fake Deskera
// injecting faults (creates applied then answered 429/503 or dropped, and
// creates dropped and applied late); then a fifth of the leads come back
// bigger (owner and label changes). The sender retries 5xx/408/429 and
// connection errors, at most 40 times, skipping each Retry-After on the
// engines' clock. Exactly one contact per lead, each with the label and
// owner its rules give; no PATCH at all for new leads and repeats; one
// applied owner PATCH per real owner change; every delivery acted once.
// A PATCH applied and then answered 429/503 or dropped is retried by the
// client: that case allows the client's retries of each such PATCH.
func TestSoakReplicasRestartsFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("soak skipped in -short mode")
	}
	tests := []struct {
		name   string
		faults []deskeratest.FaultMix
		leads  int
	}{
		{"CreatesAppliedThenFailed", []deskeratest.FaultMix{createFaults, otherFaults}, *soakLeads},
		// The second reading needs fewer leads to show its PATCH faults.
		{"PatchesAppliedThenFailedToo", []deskeratest.FaultMix{createFaults, patchApplyFaults, otherFaults}, max(*soakLeads*3/10, 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runRestartSoak(t, tc.faults, tc.leads) })
	}
}

func runRestartSoak(t *testing.T, faults []deskeratest.FaultMix, n int) {
	start := time.Now()
	redisSrv := redistest.Start(t)
	fake := deskeratest.New(deskeratest.WithToken(soakDeskeraToken))
	if err := fake.InjectFaults(*soakSeed, faults...); err != nil {
		t.Fatal(err)
	}
	audit := &ownerAudit{fake: fake, changes: map[deskera.ID]int{}}
	clock := &skipClock{}
	late := &lateCreates{next: audit, fake: fake, clock: clock, after: 4 * time.Second,
		rng: rand.New(rand.NewPCG(*soakSeed, 5)), rate: 0.05}
	deskeraSrv := httptest.NewServer(late)
	t.Cleanup(deskeraSrv.Close)

	logs := &syncbuf.Buffer{}
	newOpts := func() replicaOptions {
		rc := redisSrv.Client()
		st, err := idempotency.NewRedis(rc)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := idempotency.NewContactState(rc)
		if err != nil {
			t.Fatal(err)
		}
		return replicaOptions{deskeraURL: deskeraSrv.URL, store: st, logs: logs, rules: "testdata/soak-rules.yaml",
			// No latency faults: a timeout is only the loaded machine.
			timeout: 5 * time.Second,
			engine: []engine.EngineOption{engine.WithContactCoordinator(cs), engine.WithClock(clock.Now),
				engine.WithSettleWindow(6 * time.Second)}}
	}
	// About 8 restarts for any size: every 25th failed attempt of 1,000 leads.
	pool := newReplicaPool(t, 2, max(2, n/40), 24, newOpts)
	s := &sender{t: t, pool: pool, clock: clock, attempts: 40,
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}

	set := handlerstest.Rules(t, "testdata/soak-rules.yaml")
	rng := rand.New(rand.NewPCG(*soakSeed, 14))
	leads := makeLeads(n, rng)
	for i := range leads {
		leads[i].budget = []int{500, 5000, 15000}[rng.IntN(3)]
		leads[i].size = []int{0, 100, 800}[rng.IntN(3)]
	}
	// Phase 1: every lead once, 10% new deliveries of a lead, 10%
	// redeliveries.
	want := map[string]expected{}
	for _, l := range leads {
		want[l.email] = expectOf(set, l, nil)
		if again := expectOf(set, l, contactOf(l, want[l.email])); again != want[l.email] {
			t.Fatalf("the rules change lead %d on a repeat: %+v then %+v", l.n, want[l.email], again)
		}
	}
	s.sendQueue(withRepeats(withDuplicates(leads, 0.10, rng), len(leads)/10, "again", rng), *soakWorkers)
	phase1 := fake.Counts()
	audit.mu.Lock()
	phase1Owner := audit.sent
	audit.mu.Unlock()

	// Phase 2: a fifth of the leads come back with a bigger company (to
	// the enterprise pool: an owner change unless the pools pick the same
	// rep) and budget, with repeats again.
	var upgrades []lead
	realChanges := 0
	for i, l := range leads {
		if i%5 != 1 {
			continue
		}
		before := want[l.email]
		l.size, l.budget, l.id = 900, 15000, fmt.Sprintf("soak-up-%05d", i)
		want[l.email] = expectOf(set, l, contactOf(l, before))
		if want[l.email].owner != before.owner {
			realChanges++
		}
		upgrades = append(upgrades, l)
	}
	s.sendQueue(withRepeats(withDuplicates(upgrades, 0.10, rng), len(upgrades)/10, "up-again", rng), *soakWorkers)

	clock.Flush() // Deskera applies whatever it still holds
	cs := fake.Contacts()
	checkContacts(t, cs, want, labelIDs(fake.Labels()))
	checkAnswers(t, s.answers, cs, leads)
	lost := checkActedOnce(t, pool.replicas(), s.answers)
	checkNoLeaks(t, logs.String(), s.answers)
	if n := phase1["contacts.update"] + phase1["contacts.bulk_update"]; n != 0 || phase1Owner != 0 {
		t.Errorf("phase 1 (new leads and their repeats) sent %d PATCHes (%d with owner_id), want 0", n, phase1Owner)
	}
	audit.mu.Lock()
	defer audit.mu.Unlock()
	lostPatches := 0 // PATCHes applied whose answer was lost: the client retries them
	for k, n := range fake.Injected() {
		if strings.HasPrefix(k, "contacts.update apply-then-") || strings.HasPrefix(k, "contacts.bulk_update apply-then-") {
			lostPatches += n
		}
	}
	// The client retries a PATCH whose answer it lost (up to
	// clientAttempts in all): each retry finds the owner already right.
	if audit.changed != realChanges || audit.redundant > lostPatches*(clientAttempts-1) {
		t.Errorf("owner PATCHes: %d changed an owner, %d found it already right; want %d real owner changes, at most %d redundant (the client's retries of %d PATCHes applied and answered with a fault)",
			audit.changed, audit.redundant, realChanges, lostPatches*(clientAttempts-1), lostPatches)
	}
	for id, n := range audit.changes {
		if n > 1 {
			t.Errorf("contact %d changed owner %d times, want at most once", id, n)
		}
	}
	pool.mu.Lock()
	restarts, restartErrs := pool.restarts, pool.errs
	pool.mu.Unlock()
	if len(restartErrs) > 0 {
		t.Errorf("restarts failed: %v", restartErrs)
	}
	late.mu.Lock()
	lateSched, lateApplied := late.sched, late.applied
	late.mu.Unlock()
	if lateApplied == 0 {
		t.Errorf("no create was applied late (%d scheduled)", lateSched)
	}
	if restarts == 0 || s.stats.crossed == 0 {
		t.Errorf("%d restarts, %d retries reached a restarted replica; the soak must restart between retries", restarts, s.stats.crossed)
	}
	t.Logf("soak: %d leads, %d deliveries (%d first-time 2xx, %d answers lost to a restart and replayed); %d contacts, %d duplicates; owner PATCHes %d applied = %d real owner changes (%d sent, %d not applied under faults, %d redundant after %d PATCHes applied and answered with a fault); "+
		"sender %d attempts (%d retries, %d connection errors, %d retries to a replica restarted since); %d restarts; %d creates dropped and applied 4s later (and %d dropped, then refused by a fault when due); %v skipped on the clock; deskera calls %v; faults injected %v (%d); wall %v",
		len(leads), distinctDeliveries(s.answers), freshOK(s.answers), lost, len(cs), len(cs)-len(distinctEmails(cs)), audit.changed, realChanges,
		audit.sent, audit.na, audit.redundant, lostPatches, s.stats.attempts, s.stats.retries, s.stats.connErrors, s.stats.crossed, restarts, lateApplied, lateSched-lateApplied,
		clock.skipped, fake.Counts(), fake.Injected(), sum(fake.Injected()), time.Since(start).Round(time.Millisecond))
}

// withRepeats inserts, after n of the queue's deliveries picked at
// random, a new delivery of the same lead (a new id, tagged tag;
// a new submission of the form): the two are sent at once, to the two
// replicas.
func withRepeats(queue []lead, n int, tag string, rng *rand.Rand) []lead {
	again := map[int]bool{}
	for len(again) < min(n, len(queue)) {
		again[rng.IntN(len(queue))] = true
	}
	out := make([]lead, 0, len(queue)+len(again))
	for i, l := range queue {
		out = append(out, l)
		if again[i] {
			l.id, l.resubmitted = fmt.Sprintf("soak-%s-%05d-%d", tag, l.n, i), true
			out = append(out, l)
		}
	}
	return out
}

// contactOf is l's contact as the rules see it with label and owner e.
func contactOf(l lead, e expected) *rules.Contact {
	return &rules.Contact{ID: int64(l.n + 1), Name: l.name, Email: l.email, Label: e.label, OwnerID: e.owner}
}

// checkActedOnce: every delivery acted exactly once: the replicas' ok
// events (summed over every replica that ran) equal the deliveries, and
// no delivery got two first-time 2xx. A first-time answer may be lost (a
// restart closes a keep-alive connection whose request it then serves):
// the sender's retry gets the replay. It returns how many were lost.
func checkActedOnce(t *testing.T, reps []*replicaSetup, answers []answer) (lost int) {
	t.Helper()
	fresh := map[string]int{}
	for _, a := range answers {
		if a.status == http.StatusOK && !a.replayed {
			fresh[a.id]++
		}
	}
	for id, n := range fresh {
		if n != 1 {
			t.Errorf("delivery %s acted %d times", id, n)
		}
	}
	var ok float64
	for _, r := range reps {
		ok += counterSum(t, r.metrics, "leadhook_events_total", map[string]string{"outcome": "ok"})
	}
	if n := distinctDeliveries(answers); int(ok) != n {
		t.Errorf("events_total{outcome=ok} over %d replicas = %v, want one per delivery: %d", len(reps), ok, n)
	}
	return distinctDeliveries(answers) - len(fresh)
}

func distinctDeliveries(answers []answer) int {
	ids := map[string]bool{}
	for _, a := range answers {
		ids[a.id] = true
	}
	return len(ids)
}

func distinctEmails(cs []deskera.Contact) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		out[strings.ToLower(c.Email)] = true
	}
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
