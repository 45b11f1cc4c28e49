package queue_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/queue"
)

// TestDeskeraOutage: with every Deskera call answering 503 for 10
// minutes of the test clock, 1,000 queued leads are all answered 202;
// the workers pause together (a probe at a time, not 1,000 backoffs);
// after recovery each lead is exactly one contact with its label and
// owner, and nothing is dead-lettered.
func TestDeskeraOutage(t *testing.T) {
	const n = 1000
	r := newRig(t, "testdata/queued.yaml", queue.Options{})
	r.deskera.FailRate(1, http.StatusServiceUnavailable)
	r.start()

	lat := r.postAll(n)
	t.Logf("intake of %d queued leads during the outage: p99 %s (not asserted: timing is for the benchmark)", n, p99(lat))
	eventually(t, "the CRM pause", 30*time.Second, func() bool { p, _ := r.q.Gate().Paused(); return p })

	// Ten minutes of outage, a minute at a time: each minute the pause
	// ends, one probe finds Deskera still down and the pause resumes.
	for range 10 {
		_, before := r.q.Gate().Paused()
		r.clock.Advance(time.Minute)
		eventually(t, "a probe after the pause", 30*time.Second, func() bool { _, p := r.q.Gate().Paused(); return p > before })
	}
	calls := r.deskera.Total()
	t.Logf("deskera calls during the outage: %d for %d leads", calls, n)
	if calls >= n/2 {
		t.Errorf("%d Deskera calls during the outage for %d leads: the workers did not pause together", calls, n)
	}
	if s := r.stats(); s.Queued != n {
		t.Errorf("queued %d during the outage, want %d", s.Queued, n)
	}
	if len(r.deskera.Contacts()) != 0 {
		t.Fatal("contacts created while Deskera answered 503")
	}

	r.deskera.FailRate(0)
	r.clock.Advance(time.Minute)
	eventually(t, "the queue to drain", 3*time.Minute, func() bool { return r.stats().Queued == 0 })
	r.checkContacts(n)
	if s := r.stats(); s.Dead != 0 {
		t.Errorf("%d dead letters, want 0", s.Dead)
	}
}

// TestDuplicateDeliveryQueuedOnce: a repeat of a delivery id is answered
// 202 again (marked replayed) and not stored twice, before and after it
// is done.
func TestDuplicateDeliveryQueuedOnce(t *testing.T) {
	r := newRig(t, "testdata/queued.yaml", queue.Options{})
	for i, wantReplay := range []string{"", "true"} {
		code, h, _ := r.post(0)
		if code != http.StatusAccepted || h.Get(handlers.ReplayHeader) != wantReplay {
			t.Fatalf("post #%d: %d replayed=%q, want 202 replayed=%q", i+1, code, h.Get(handlers.ReplayHeader), wantReplay)
		}
	}
	if s := r.stats(); s.Queued != 1 {
		t.Fatalf("queued %d, want 1", s.Queued)
	}
	r.start()
	eventually(t, "the delivery to be done", time.Minute, func() bool { return r.stats().Queued == 0 })
	if code, h, _ := r.post(0); code != http.StatusAccepted || h.Get(handlers.ReplayHeader) != "true" {
		t.Fatalf("post after done: %d replayed=%q", code, h.Get(handlers.ReplayHeader))
	}
	if s := r.stats(); s.Queued != 0 {
		t.Fatalf("a repeat after done was queued again (%d)", s.Queued)
	}
	r.checkContacts(1)
}

// TestDeadLetterAndRetryDead: a rule that fails keeps its deliveries
// retrying until the maximum age, then dead-lettered (not dropped);
// fixing the rules and RetryDead completes them.
func TestDeadLetterAndRetryDead(t *testing.T) {
	const n = 5
	r := newRig(t, "testdata/broken.yaml", queue.Options{MaxAge: time.Hour})
	r.start()
	for i := range n {
		if code, _, _ := r.post(i); code != http.StatusAccepted {
			t.Fatalf("lead %d: %d", i, code)
		}
	}
	eventually(t, "a failed attempt of each", time.Minute, func() bool {
		return strings.Count(r.logs.String(), `"msg":"event"`) >= n
	})
	if s := r.stats(); s.Dead != 0 || s.Queued != n {
		t.Fatalf("before the maximum age: %+v, want %d queued and none dead", s, n)
	}
	r.clock.Advance(2 * time.Hour)
	eventually(t, "the dead letters", time.Minute, func() bool { return r.stats().Dead == n })
	if s := r.stats(); s.Queued != 0 {
		t.Fatalf("after dead-lettering: %+v", s)
	}
	if !strings.Contains(r.logs.String(), "queued delivery dead-lettered") {
		t.Error("no log line for the dead letters")
	}

	ctx := context.Background()
	if got, err := r.q.RetryDead(ctx, "other"); err != nil || got != 0 {
		t.Fatalf("RetryDead(other) = %d, %v; want 0", got, err)
	}
	if err := r.svc.SetRules(handlerstest.Rules(t, "testdata/queued.yaml")); err != nil {
		t.Fatal(err)
	}
	if got, err := r.q.RetryDead(ctx, "form"); err != nil || got != n {
		t.Fatalf("RetryDead(form) = %d, %v; want %d", got, err, n)
	}
	eventually(t, "the retried deliveries", time.Minute, func() bool { s := r.stats(); return s.Queued == 0 && s.Dead == 0 })
	r.checkContacts(n)
}

// TestDryRunStaysSync: ?dry_run=1 on a queued source answers the plan
// at once and stores nothing.
func TestDryRunStaysSync(t *testing.T) {
	r := newRig(t, "testdata/queued.yaml", queue.Options{})
	_ = httptest.NewRecorder
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/hooks/form?dry_run=1", strings.NewReader("email=a%40acme.io"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// No admin token is configured: dry runs are refused, synchronously.
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dry run: %d, want 403 (answered sync, not queued)", resp.StatusCode)
	}
	if s := r.stats(); s.Queued != 0 {
		t.Fatalf("a dry run was queued: %+v", s)
	}
}

// TestStoreIsShared: the embedded store's database/sql handle is open on
// the queue's file, for the delivery history to keep its tables beside.
func TestStoreIsShared(t *testing.T) {
	r := newRig(t, "testdata/queued.yaml", queue.Options{})
	st := r.q.Store()
	if st.Dialect != "sqlite" || st.DB == nil || st.Pool != nil {
		t.Fatalf("store %+v", st)
	}
	if code, _, _ := r.post(0); code != http.StatusAccepted {
		t.Fatal(code)
	}
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = ?`, queue.Kind).Scan(&n); err != nil || n != 1 {
		t.Fatalf("jobs through Store().DB: %d, %v", n, err)
	}
}

// TestStopDuringPause: stopping while workers wait on the paused gate
// cuts them short (after SoftStop) and leaves their jobs available for
// the next start, not running and not failed.
func TestStopDuringPause(t *testing.T) {
	r := newRig(t, "testdata/queued.yaml", queue.Options{SoftStop: 100 * time.Millisecond})
	r.deskera.FailRate(1, http.StatusServiceUnavailable)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if code, _, _ := r.post(i); code != http.StatusAccepted {
			t.Fatal(code)
		}
	}
	eventually(t, "the CRM pause", 30*time.Second, func() bool { p, _ := r.q.Gate().Paused(); return p })
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	if err := r.q.Stop(sctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var running int
	if err := r.q.Store().DB.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&running); err != nil {
		t.Fatal(err)
	}
	if s := r.stats(); s.Queued != 3 || s.Dead != 0 || running != 0 {
		t.Fatalf("after Stop: %+v, %d running; want 3 queued, none running or dead", s, running)
	}
}
