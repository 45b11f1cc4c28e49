package handlers_test

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/internal/syncbuf"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

var (
	soakLeads   = flag.Int("soak.leads", 1000, "distinct leads the soak sends (plus 20% duplicate deliveries)")
	soakWorkers = flag.Int("soak.workers", 48, "concurrent senders in the soak")
	soakSeed    = flag.Uint64("soak.seed", 1, "seed of the soak's leads, duplicates and order")
)

// lead is one distinct lead and its delivery.
type lead struct {
	n      int
	email  string
	name   string
	budget int
	size   int    // company_size, sent when > 0
	id     string // delivery id
	// resubmitted: the form carries submission_id (the id), so that a
	// new submission of the same lead is a new delivery (the form's
	// delivery id is a hash of its signed body).
	resubmitted bool
	svix        bool // sent to the Standard Webhooks source instead of the form
}

func makeLeads(n int, rng *rand.Rand) []lead {
	out := make([]lead, n)
	for i := range out {
		budget := 500
		if rng.IntN(10) < 4 {
			budget = 15000
		}
		out[i] = lead{n: i, email: fmt.Sprintf("lead%05d@example.com", i), name: fmt.Sprintf("Lead %d", i),
			budget: budget, id: fmt.Sprintf("soak-%05d", i), svix: i%3 == 0}
	}
	return out
}

// request builds one signed delivery of l to base.
func (l lead) request(base string) *http.Request {
	if l.svix {
		body := fmt.Sprintf(`{"email":%q,"name":%q,"budget":%d}`, l.email, l.name, l.budget)
		if l.size > 0 {
			body = fmt.Sprintf(`{"email":%q,"name":%q,"budget":%d,"company_size":%d}`, l.email, l.name, l.budget, l.size)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/hooks/svix", strings.NewReader(body))
		ts := time.Now().Unix()
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", l.id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", svixSign(l.id, ts, body))
		return req
	}
	v := url.Values{"email": {l.email}, "name": {l.name}, "budget": {strconv.Itoa(l.budget)}}
	if l.size > 0 {
		v.Set("company_size", strconv.Itoa(l.size))
	}
	if l.resubmitted {
		v.Set("submission_id", l.id)
	}
	form := v.Encode()
	req, _ := http.NewRequest(http.MethodPost, base+"/hooks/website", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", l.id)
	req.Header.Set("X-Signature", "sha256="+hexHMAC(websiteSecret, form))
	return req
}

// answer is one HTTP answer the simulated sender saw.
type answer struct {
	lead     int
	id       string // delivery key (see lead.deliveryKey)
	status   int
	replayed bool
	header   http.Header
	body     []byte
}

// freshOK counts the first-time (not replayed) 200 answers.
func freshOK(answers []answer) int {
	n := 0
	for _, a := range answers {
		if a.status == http.StatusOK && !a.replayed {
			n++
		}
	}
	return n
}

// sender posts deliveries like a provider: it retries 5xx, 408 and 429
// with backoff until a 2xx (any other 4xx is final), and keeps every
// answer.
type sender struct {
	t      *testing.T
	client *http.Client
	bases  []string // replicas, picked per attempt
	// pool, when set, replaces bases: its replicas restart meanwhile, so
	// a connection error is retried too, as a sender does.
	pool *replicaPool
	// clock, when set, skips each Retry-After instead of the sender
	// waiting it (the sender still backs off a few milliseconds).
	clock *skipClock
	// attempts bounds the attempts per delivery (default 200).
	attempts int

	mu      sync.Mutex
	answers []answer
	stats   senderStats
}

// senderStats counts what the sender did.
type senderStats struct {
	attempts, retries, connErrors int
	// crossed counts retries that reached a replica started after the
	// delivery's previous attempt failed (a restart between retries).
	crossed int
}

func (s *sender) deliver(l lead, first int) {
	failedAt := -1 // replica starts when the last attempt failed
	shift := 0     // -1 per restart: the retry goes to the restarted replica
	for attempt := range cmp.Or(s.attempts, 200) {
		n := first + attempt + shift
		base, started := s.target(n)
		s.count(func(st *senderStats) {
			st.attempts++
			if attempt > 0 {
				st.retries++
			}
			if failedAt >= 0 && started > failedAt {
				st.crossed++
			}
		})
		failedAt = s.starts()
		a, err := s.post(l, base)
		switch {
		case err != nil && s.pool == nil:
			s.t.Errorf("lead %d: %v", l.n, err)
			return
		case err != nil:
			s.count(func(st *senderStats) { st.connErrors++ })
		case a.status >= 200 && a.status < 300:
			return
		case a.status == http.StatusServiceUnavailable || a.status == http.StatusTooManyRequests:
			ra := a.header.Get("Retry-After")
			if ra == "" {
				s.t.Errorf("lead %d: %d without Retry-After: %s", l.n, a.status, a.body)
			}
			if secs, err := strconv.Atoi(ra); err == nil && s.clock != nil {
				s.clock.Advance(time.Duration(secs) * time.Second)
			}
		case a.status >= 500 || a.status == http.StatusRequestTimeout:
		default:
			s.t.Errorf("lead %d: final rejection %d: %s", l.n, a.status, a.body)
			return
		}
		if err == nil && s.pool != nil && s.pool.maybeRestart(n) {
			shift--
		}
		// Providers back off exponentially; scaled down to milliseconds.
		time.Sleep(time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond)
	}
	s.t.Errorf("lead %d: no 2xx after %d attempts", l.n, cmp.Or(s.attempts, 200))
}

// target is the replica for an attempt and how many replicas had started
// when it did.
func (s *sender) target(n int) (base string, started int) {
	if s.pool != nil {
		return s.pool.target(n)
	}
	return s.bases[n%len(s.bases)], 0
}

// starts is how many replicas have started so far.
func (s *sender) starts() int {
	if s.pool != nil {
		return s.pool.starts()
	}
	return 0
}

func (s *sender) count(fn func(*senderStats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
}

func (s *sender) post(l lead, base string) (answer, error) {
	resp, err := s.client.Do(l.request(base))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{lead: l.n, id: l.deliveryKey(), status: resp.StatusCode, replayed: resp.Header.Get(handlers.ReplayHeader) == "true",
		header: resp.Header, body: body}
	if a.status >= 500 && a.status != http.StatusServiceUnavailable {
		s.t.Errorf("lead %d: %d: %s", l.n, a.status, body)
	}
	s.mu.Lock()
	s.answers = append(s.answers, a)
	s.mu.Unlock()
	return a, nil
}

// sendAll delivers every lead plus dupFrac duplicates, shuffled, with
// workers concurrent senders.
func (s *sender) sendAll(leads []lead, dupFrac float64, workers int, rng *rand.Rand) {
	s.sendQueue(withDuplicates(leads, dupFrac, rng), workers)
}

// withDuplicates is every lead plus dupFrac redeliveries of random ones,
// shuffled.
func withDuplicates(leads []lead, dupFrac float64, rng *rand.Rand) []lead {
	queue := make([]lead, 0, len(leads)*2)
	queue = append(queue, leads...)
	for range int(float64(len(leads)) * dupFrac) {
		queue = append(queue, leads[rng.IntN(len(leads))])
	}
	rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	return queue
}

// sendQueue delivers queue in order with workers concurrent senders; the
// i-th delivery's first attempt goes to replica i (mod replicas).
func (s *sender) sendQueue(queue []lead, workers int) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range work {
				s.deliver(queue[i], i)
			}
		})
	}
	for i := range queue {
		work <- i
	}
	close(work)
	wg.Wait()
}

// expected is what the rules give a lead: the label and the owner.
type expected struct {
	label string
	owner int64
}

func expectations(t *testing.T, leads []lead) map[string]expected {
	t.Helper()
	set := handlerstest.Rules(t, "testdata/rules.yaml")
	out := map[string]expected{}
	for _, l := range leads {
		e := expectOf(set, l, nil)
		if e.label == "" || e.owner == 0 {
			t.Fatalf("rules give lead %d no label or owner", l.n)
		}
		out[l.email] = e
	}
	return out
}

// deliveryKey is what the service dedupes l's delivery on: the signed
// webhook-id of the Standard Webhooks source, the signed body of the form
// (its Idempotency-Key is not signed, so it does not count).
func (l lead) deliveryKey() string {
	if l.svix {
		return "svix:" + l.id
	}
	return fmt.Sprintf("form:%s:%d:%d:%v:%s", l.email, l.budget, l.size, l.resubmitted, map[bool]string{true: l.id}[l.resubmitted])
}

// event is the rules' reading of l's delivery.
func (l lead) event() *rules.Event {
	f := map[string]any{"email": l.email, "name": l.name, "budget": strconv.Itoa(l.budget)}
	if l.size > 0 {
		f["company_size"] = strconv.Itoa(l.size)
	}
	return &rules.Event{Source: "website", Kind: "form", Email: l.email, Name: l.name, Fields: f}
}

// expectOf is the label and owner set's rules give l's contact, when the
// contact is c before the delivery (nil: a new contact): the last
// assign_label and assign_owner win, and what no action sets stays.
func expectOf(set *rules.Set, l lead, c *rules.Contact) expected {
	var e expected
	if c != nil {
		e = expected{label: c.Label, owner: c.OwnerID}
	}
	for _, a := range set.Evaluate(l.event(), c).Actions {
		switch a.Type {
		case "assign_label":
			e.label = a.Label
		case "assign_owner":
			e.owner = a.OwnerID
		}
	}
	return e
}

// TestSoakFaultyDeskera: about 30% of Deskera calls fail in every way;
// a retrying sender still gets every lead in exactly once, with the
// label and owner its rules give, and the metrics add up.
func TestSoakFaultyDeskera(t *testing.T) {
	if testing.Short() {
		t.Skip("soak skipped in -short mode")
	}
	runSoak(t, 1, func() idempotency.Store { return idempotency.NewMemory(0) })
}

// runSoak sends the soak's deliveries to n replicas sharing one faulty
// Deskera and the stores newStore gives, then checks everything.
func runSoak(t *testing.T, n int, newStore func() idempotency.Store) {
	t.Helper()
	rng := rand.New(rand.NewPCG(*soakSeed, 1))
	fake, ch, deskeraURL := newFakeDeskera(t, 0.30)
	logs := &syncbuf.Buffer{}
	var reps []*replicaSetup
	var bases []string
	for range n {
		r := newReplica(t, replicaOptions{deskeraURL: deskeraURL, store: newStore(), logs: logs})
		reps, bases = append(reps, r), append(bases, r.srv.URL)
	}
	leads := makeLeads(*soakLeads, rng)
	s := &sender{t: t, client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		bases: bases}
	s.sendAll(leads, 0.20, *soakWorkers, rng)
	// Then a second, different delivery for a fifth of the leads raises
	// their budget: existing contacts are relabelled (updates and bulk
	// PATCHes under the same faults).
	final := append([]lead(nil), leads...)
	var upgrades []lead
	for i := range final {
		if i%5 == 1 && final[i].budget < 10000 {
			final[i].budget, final[i].id = 15000, fmt.Sprintf("soak-up-%05d", i)
			upgrades = append(upgrades, final[i])
		}
	}
	s.sendAll(upgrades, 0.20, *soakWorkers, rng)

	checkContacts(t, fake.Contacts(), expectations(t, final), labelIDs(fake.Labels()))
	checkAnswers(t, s.answers, fake.Contacts(), leads)
	checkMetrics(t, reps, ch, fake.Counts(), s.answers)
	checkNoLeaks(t, logs.String(), s.answers)
	t.Logf("%d replicas, %d leads, %d answers; deskera calls %v; injected faults (none,status,429,latency,drop,drop-after-apply,late-apply) %v, stuck %d",
		n, len(leads), len(s.answers), fake.Counts(), ch.injected, ch.stuck)
}

func labelIDs(ls []deskera.Label) map[string]deskera.ID {
	out := map[string]deskera.ID{}
	for _, l := range ls {
		out[l.Name] = l.ID
	}
	return out
}

// checkContacts: exactly one contact per lead, with its label and owner.
func checkContacts(t *testing.T, cs []deskera.Contact, want map[string]expected, labels map[string]deskera.ID) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range cs {
		seen[c.Email]++
		e, ok := want[c.Email]
		if !ok {
			t.Errorf("unexpected contact %d %q", c.ID, c.Email)
			continue
		}
		if c.LabelID != labels[e.label] || int64(c.OwnerID) != e.owner {
			t.Errorf("contact %q: label %d owner %d, want %d (%s) owner %d", c.Email, c.LabelID, c.OwnerID, labels[e.label], e.label, e.owner)
		}
	}
	for email, n := range seen {
		if n > 1 {
			t.Errorf("%d contacts for %q", n, email)
		}
	}
	if len(cs) != len(want) || len(seen) != len(want) {
		t.Errorf("fake has %d contacts (%d emails), want %d", len(cs), len(seen), len(want))
	}
}

// checkAnswers: every 2xx says its actions completed, on the lead's own
// contact.
func checkAnswers(t *testing.T, answers []answer, cs []deskera.Contact, leads []lead) {
	t.Helper()
	byID := map[int64]string{}
	for _, c := range cs {
		byID[int64(c.ID)] = c.Email
	}
	ok := map[int]bool{}
	for _, a := range answers {
		if a.status < 200 || a.status > 299 {
			continue
		}
		ok[a.lead] = true
		var r handlers.EventResult
		if err := json.Unmarshal(a.body, &r); err != nil {
			t.Errorf("lead %d: 2xx body %s: %v", a.lead, a.body, err)
			continue
		}
		if r.Outcome != handlers.OutcomeOK || len(r.Actions) == 0 {
			t.Errorf("lead %d: 2xx with outcome %q and %d actions: %s", a.lead, r.Outcome, len(r.Actions), a.body)
		}
		for _, act := range r.Actions {
			if act.Error != "" || act.Outcome == engine.ActionFailed || byID[act.ContactID] != leads[a.lead].email {
				t.Errorf("lead %d: 2xx with action %+v (contact is %q)", a.lead, act, byID[act.ContactID])
			}
		}
	}
	if len(ok) != len(leads) {
		t.Errorf("%d of %d leads got a 2xx", len(ok), len(leads))
	}
}

// checkMetrics: the service's Deskera metrics equal what the fake (and
// the fault injector in front of it) saw, and the event counters equal
// the answers the sender got.
func checkMetrics(t *testing.T, reps []*replicaSetup, ch *chaos, fakeCounts map[string]int, answers []answer) {
	t.Helper()
	got := map[string]int{}
	var ok, hits float64
	for _, r := range reps {
		for k, v := range deskeraObserved(t, r.metrics) {
			got[k] += v
		}
		ok += counterSum(t, r.metrics, "leadhook_events_total", map[string]string{"outcome": "ok"})
		hits += counterSum(t, r.metrics, "leadhook_dedupe_hits_total", nil)
	}
	ch.mu.Lock()
	want, forwarded := ch.observed, ch.forwarded
	ch.mu.Unlock()
	// Per operation the totals agree exactly. Per status code they may
	// not: a 2xx the fake sent after the client's timeout is an "error"
	// to the client (an unknown outcome, handled like a dropped answer).
	// Nor, under load, do the totals: a call the client gave up on before
	// the server read it is an "error" the server never saw. So: the
	// client counts every call the fake's side saw, and at most its own
	// errors more.
	gotOps, wantOps := byOp(got), byOp(want)
	for op := range mergeKeys(gotOps, wantOps) {
		if extra := gotOps[op] - wantOps[op]; extra < 0 || extra > got[op+" error"] {
			t.Errorf("deskera_requests_total{op=%s} = %d (%d errors), the fake's side saw %d calls", op, gotOps[op], got[op+" error"], wantOps[op])
		}
	}
	for k := range mergeKeys(got, want) {
		if code := k[strings.IndexByte(k, ' ')+1:]; code != "error" && got[k] > want[k] {
			t.Errorf("deskera_requests_total{%s} = %d, but the fake's side answered only %d", k, got[k], want[k])
		} else if got[k] != want[k] {
			t.Logf("deskera_requests_total{%s} = %d, the fake's side %d (answers later than the client's timeout)", k, got[k], want[k])
		}
	}
	for op := range mergeKeys(fakeCounts, forwarded) {
		if fakeCounts[op] != forwarded[op] {
			t.Errorf("fake counted %d %s, %d were forwarded to it", fakeCounts[op], op, forwarded[op])
		}
	}
	var fresh2xx, replayed int
	for _, a := range answers {
		if a.replayed {
			replayed++
		} else if a.status >= 200 && a.status < 300 {
			fresh2xx++
		}
	}
	if int(ok) != fresh2xx {
		t.Errorf("events_total{outcome=ok} = %v, sender saw %d first-time 2xx", ok, fresh2xx)
	}
	if int(hits) != replayed {
		t.Errorf("dedupe_hits_total = %v, sender saw %d replayed answers", hits, replayed)
	}
}

// byOp sums "op code" counts per op.
func byOp(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		op, _, _ := strings.Cut(k, " ")
		out[op] += v
	}
	return out
}

func mergeKeys(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// checkNoLeaks: no credential in any log line, answer body or header.
func checkNoLeaks(t *testing.T, logs string, answers []answer) {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(logs)
	for _, a := range answers {
		sb.Write(a.body)
		for k, vs := range a.header {
			sb.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
	}
	all := sb.String()
	checkNoSecrets(t, all)
	for _, s := range []string{soakDeskeraToken, soakAdminToken} {
		if strings.Contains(all, s) {
			t.Errorf("a log line or answer contains the secret %q", s)
		}
	}
}

// TestConcurrentDeliveries: 50 concurrent identical deliveries make one
// contact; so do 50 concurrent different deliveries for one email.
func TestConcurrentDeliveries(t *testing.T) {
	tests := []struct {
		name     string
		sameID   bool
		faults   float64 // fraction of Deskera calls failing
		wantActs int     // first-time (non-replayed) 2xx answers
	}{
		{"IdenticalDeliveries", true, 0, 1},
		{"DifferentDeliveriesOneEmail", false, 0, 50},
		{"IdenticalDeliveriesFaultyDeskera", true, 0.3, 1},
		{"DifferentDeliveriesOneEmailFaultyDeskera", false, 0.3, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, deskeraURL := newFakeDeskera(t, tc.faults)
			logs := &syncbuf.Buffer{}
			rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, store: idempotency.NewMemory(0), logs: logs})
			s := &sender{t: t, client: &http.Client{Timeout: time.Minute}, bases: []string{rep.srv.URL}}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 50 {
				// Identical: one source, one delivery id. Different: ids
				// differ and the sources alternate.
				l := lead{n: 0, email: "same@example.com", name: "Same", budget: 15000, id: "dup-0"}
				if !tc.sameID {
					l.id, l.svix = fmt.Sprintf("delivery-%d", i), i%2 == 0
				}
				wg.Go(func() { <-start; s.deliver(l, 0) })
			}
			close(start)
			wg.Wait()
			cs := fake.Contacts()
			if len(cs) != 1 {
				t.Fatalf("%d contacts after %d creates, want 1", len(cs), fake.Count("contacts.create"))
			}
			if fresh := freshOK(s.answers); tc.sameID && fresh != tc.wantActs {
				t.Errorf("%d deliveries acted, want %d", fresh, tc.wantActs)
			}
			checkNoLeaks(t, logs.String(), s.answers)
		})
	}
}

// panicky is an engine that panics with credentials in the message.
type panicky struct{}

func (panicky) Process(context.Context, *rules.Set, *rules.Event, bool) (*engine.Outcome, error) {
	panic(fmt.Sprintf("deskera rejected token %s (signing secret %s)", soakDeskeraToken, websiteSecret))
}

// TestSoakSecretsInPanics: a panic whose message carries a credential is
// answered 500 and logged with every credential redacted, in the
// service (the Lambda path too) and in the HTTP server's recovery.
func TestSoakSecretsInPanics(t *testing.T) {
	logs := &syncbuf.Buffer{}
	log := handlers.NewLogger(logs, slog.LevelDebug)
	set := handlerstest.Rules(t, "testdata/rules.yaml")
	metrics := handlers.NewMetrics()
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: panicky{}, Logger: log, Metrics: metrics,
		AdminToken: soakAdminToken, Secrets: []string{soakDeskeraToken}})
	if err != nil {
		t.Fatal(err)
	}
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: metrics, Logger: log,
		Ready: func(context.Context) error { panic("readiness probe: token " + soakDeskeraToken) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	defer srv.Close()
	s := &sender{t: t, client: srv.Client(), bases: []string{srv.URL}}
	l := lead{email: "panic@example.com", name: "P", budget: 1, id: "panic-1"}
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"ServicePanic", l.request(srv.URL)},
		{"RouterPanic", httptest.NewRequest(http.MethodGet, srv.URL+"/readyz", nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.RequestURI = ""
			resp, err := s.client.Do(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			s.answers = append(s.answers, answer{status: resp.StatusCode, header: resp.Header, body: body})
		})
	}
	if got := logs.String(); strings.Count(got, "[REDACTED]") < 3 {
		t.Fatalf("panics not logged with redactions: %s", got)
	}
	checkNoLeaks(t, logs.String(), s.answers)
}
