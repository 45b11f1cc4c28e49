package queue_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/queue"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/gintest"
	"github.com/leadhook/leadhook/internal/syncbuf"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestMain(m *testing.M) { gintest.Main(m) }

// fakeClock is the test clock shared by the gate, the worker and River:
// the wall clock shifted by what the test advanced it (so that time
// still flows, and River's own wall-clock loops stay consistent).
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newClock() *fakeClock { return &fakeClock{} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// rig is leadhook's router with a queue on an embedded store in a temp
// dir, acting on a fake Deskera over HTTP.
type rig struct {
	t       testing.TB
	deskera *deskeratest.Server
	svc     *handlers.Service
	q       *queue.Queue
	srv     *httptest.Server
	clock   *fakeClock
	logs    *syncbuf.Buffer
	hist    *history.Store // newRigWithHistory
}

func newRig(t testing.TB, rulesPath string, opts queue.Options) *rig {
	t.Helper()
	return newRigWith(t, rulesPath, opts, false)
}

// newRigWithHistory is newRig with the delivery history on the queue's
// store, as leadhook serve wires it.
func newRigWithHistory(t testing.TB, rulesPath string, opts queue.Options) *rig {
	t.Helper()
	return newRigWith(t, rulesPath, opts, true)
}

func newRigWith(t testing.TB, rulesPath string, opts queue.Options, withHistory bool) *rig {
	t.Helper()
	r := &rig{t: t, deskera: deskeratest.NewServer(t), clock: newClock(), logs: &syncbuf.Buffer{}}
	log := handlers.NewLogger(r.logs, slog.LevelInfo)
	eng, err := engine.NewEngine(r.deskera.Client(), engine.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if opts.DataDir == "" && opts.URL == "" {
		opts.DataDir = t.TempDir()
	}
	opts.Now, opts.Logger = r.clock.Now, log
	if opts.PollInterval == 0 {
		opts.PollInterval = 20 * time.Millisecond
	}
	if opts.MaxPause == 0 {
		// Pauses stay under River's 5s scheduler interval, so a paused
		// job comes back as soon as the test clock passes its time.
		opts.MinPause, opts.MaxPause = time.Second, 4*time.Second
	}
	r.q, err = queue.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.q.Close)
	metrics := handlers.NewMetrics()
	cfg := handlers.Config{
		Rules: handlerstest.Rules(t, rulesPath), Engine: eng, Metrics: metrics, Logger: log, Queue: r.q,
		Webhook: webhook.Options{Now: r.clock.Now},
	}
	if withHistory {
		if r.hist, err = r.q.History(context.Background(), history.WithClock(r.clock.Now)); err != nil {
			t.Fatal(err)
		}
		cfg.History = r.hist
	}
	r.svc, err = handlers.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.q.SetProcessor(r.svc)
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: r.svc, Metrics: metrics, Logger: log, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(router)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) start() {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.q.Start(ctx); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = r.q.Stop(sctx)
		cancel()
	})
}

// post sends lead i as a browser form with an Idempotency-Key.
func (r *rig) post(i int) (int, http.Header, time.Duration) {
	form := url.Values{"name": {fmt.Sprintf("Lead %d", i)}, "email": {leadEmail(i)}}
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/hooks/form", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("lead-%d", i))
	start := time.Now()
	resp, err := r.srv.Client().Do(req)
	d := time.Since(start)
	if err != nil {
		r.t.Error(err)
		return 0, nil, d
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header, d
}

func leadEmail(i int) string { return fmt.Sprintf("lead%d@acme%d.io", i, i) }

// postAll posts leads 0..n-1 over 8 connections and returns the answer
// latencies; every answer must be 202.
func (r *rig) postAll(n int) []time.Duration {
	r.t.Helper()
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				code, _, d := r.post(i)
				if code != http.StatusAccepted {
					r.t.Errorf("lead %d: status %d, want 202", i, code)
				}
				lat[i] = d
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return lat
}

func p99(lat []time.Duration) time.Duration {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)*99)/100]
}

// eventually polls cond (bounded in real time) for what the workers do
// in the background.
func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) stats() queue.Stats {
	r.t.Helper()
	s, err := r.q.Stats(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// checkContacts: every lead 0..n-1 is exactly one contact, with the
// label and an owner of the pool.
func (r *rig) checkContacts(n int) {
	r.t.Helper()
	byEmail := map[string]int{}
	for _, c := range r.deskera.Contacts() {
		byEmail[c.Email]++
		if c.LabelID == 0 {
			r.t.Errorf("contact %s has no label", c.Email)
		}
		if c.OwnerID != 17826 && c.OwnerID != 21584 {
			r.t.Errorf("contact %s owner %d, want one of the sales pool", c.Email, c.OwnerID)
		}
	}
	for i := range n {
		if got := byEmail[leadEmail(i)]; got != 1 {
			r.t.Errorf("lead %d is %d contacts, want 1", i, got)
		}
	}
	if len(byEmail) != n {
		r.t.Errorf("%d distinct contacts, want %d", len(byEmail), n)
	}
}
