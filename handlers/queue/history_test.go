package queue_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/queue"
	"github.com/leadhook/leadhook/internal/pgtest"
)

// TestHistoryFollowsTheQueue: a queued delivery's record is committed
// with its job (outcome queued, no attempt yet, the body kept; a repeat
// of its id writes nothing), each failed attempt records its number and
// the next attempt's time, and the attempt that succeeds ends it ok with
// its contact. On the embedded store and on PostgreSQL (the record then
// goes through the pgx transaction of the job).
func TestHistoryFollowsTheQueue(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { historyFollowsTheQueue(t, queue.Options{}) })
	t.Run("postgres", func(t *testing.T) { historyFollowsTheQueue(t, queue.Options{URL: pgtest.SchemaURL(t)}) })
}

func historyFollowsTheQueue(t *testing.T, opts queue.Options) {
	r := newRigWithHistory(t, "testdata/queued.yaml", opts)
	ctx := context.Background()
	id := history.ID("form", "lead-0")
	r.deskera.FailRate(1, http.StatusServiceUnavailable)
	for range 2 {
		if code, _, _ := r.post(0); code != http.StatusAccepted {
			t.Fatalf("status %d, want 202", code)
		}
	}
	rec, err := r.hist.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Mode != history.ModeQueued || rec.Outcome != history.OutcomeQueued || rec.Attempts != 0 || rec.Body == nil || rec.RulesVersion == "" {
		t.Fatalf("intake record: mode %q outcome %q attempts %d body kept %v rules %q", rec.Mode, rec.Outcome, rec.Attempts, rec.Body != nil, rec.RulesVersion)
	}
	if list, err := r.hist.List(ctx, history.Filter{}); err != nil || len(list) != 1 {
		t.Fatalf("records after a repeated delivery: %d (%v), want 1", len(list), err)
	}

	r.start()
	eventually(t, "a failed attempt recorded", 30*time.Second, func() bool {
		rec, err = r.hist.Get(ctx, id)
		return err == nil && rec.Attempts >= 1 && rec.NextAttemptAt != nil
	})
	if rec.Outcome != history.OutcomeQueued || !rec.NextAttemptAt.After(rec.UpdatedAt.Add(-time.Second)) {
		t.Errorf("after a failed attempt: outcome %q next %v updated %v", rec.Outcome, rec.NextAttemptAt, rec.UpdatedAt)
	}
	if len(rec.Events) != 1 || len(rec.Events[0].Made) == 0 || rec.Events[0].Made[0].Status != http.StatusServiceUnavailable {
		t.Errorf("the failed attempt's calls are not recorded: %+v", rec.Events)
	}
	failed := rec.Attempts

	r.deskera.FailRate(0)
	r.clock.Advance(2 * time.Minute)
	eventually(t, "the delivery to be done", time.Minute, func() bool { return r.stats().Queued == 0 })
	if rec, err = r.hist.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != history.OutcomeOK || rec.Attempts <= failed || len(rec.ContactIDs) != 1 {
		t.Errorf("done: outcome %q attempts %d (failed ones %d) contacts %v", rec.Outcome, rec.Attempts, failed, rec.ContactIDs)
	}
	r.checkContacts(1)
}
