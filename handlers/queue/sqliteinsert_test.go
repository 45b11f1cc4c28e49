package queue

import (
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leadhook/leadhook/handlers"
)

// jobColumns are the stored columns River's insert and sqliteInsert must
// agree on (all but the id and River's unique-insert nonce in metadata).
const jobColumns = `SELECT json(args), attempt, cast(created_at AS text), kind, max_attempts, priority, queue, cast(scheduled_at AS text), state, json(tags),
	coalesce(hex(unique_key), ''), coalesce(unique_states, -1), attempted_at IS NULL, finalized_at IS NULL, errors IS NULL
FROM river_job ORDER BY id DESC LIMIT 1`

type jobColumnsRow struct {
	args                     string
	attempt                  int
	created, kind            string
	maxAttempts, priority    int
	queue, scheduled, state  string
	tags, key                string
	states                   int64
	notTried, notDone, noErr bool
}

func lastJob(t *testing.T, q *Queue) jobColumnsRow {
	t.Helper()
	var r jobColumnsRow
	err := q.store.DB.QueryRowContext(t.Context(), jobColumns).Scan(&r.args, &r.attempt, &r.created, &r.kind, &r.maxAttempts, &r.priority,
		&r.queue, &r.scheduled, &r.state, &r.tags, &r.key, &r.states, &r.notTried, &r.notDone, &r.noErr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSQLiteInsertMatchesRiver: the embedded store's own job insert
// stores what River's insert stores for the same delivery (its args,
// times on the injected clock, tags, unique key and states), and each
// sees the other's job as the same delivery, so that a delivery enqueued
// by the intake and one re-queued by RetryDead (River's insert) dedupe.
func TestSQLiteInsertMatchesRiver(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 30, 1, 234567890, time.UTC)
	q, err := Open(t.Context(), Options{DataDir: t.TempDir(), Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	tests := []struct {
		name, source, id string
	}{
		{"plain", "website", "d-1"},
		{"escaped", "web_site-2", `<a href="x">&é` + "\u2028\\"},
		{"no delivery id", "website", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &handlers.QueuedDelivery{Source: tc.source, DeliveryID: tc.id, Method: http.MethodPost, Path: "/hooks/" + tc.source,
				Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"email":"a@b.io"}`), ReceivedAt: at}
			args := deliveryArgs{Source: d.Source, DeliveryID: d.DeliveryID, Delivery: d}
			if dup, err := q.Enqueue(t.Context(), d); err != nil || dup {
				t.Fatalf("Enqueue = %v, %v; want stored", dup, err)
			}
			ours := lastJob(t, q)
			res, err := q.b.insert(t.Context(), args, q.insertOpts(d))
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.id != ""; res.UniqueSkippedAsDuplicate != want {
				t.Errorf("River's insert after ours: duplicate = %v, want %v", res.UniqueSkippedAsDuplicate, want)
			}
			if _, err := q.store.DB.ExecContext(t.Context(), `DELETE FROM river_job`); err != nil {
				t.Fatal(err)
			}
			if _, err := q.b.insert(t.Context(), args, q.insertOpts(d)); err != nil {
				t.Fatal(err)
			}
			if theirs := lastJob(t, q); theirs != ours {
				t.Errorf("stored job\n ours   %+v\n River's %+v", ours, theirs)
			}
			if dup, err := q.Enqueue(t.Context(), d); err != nil || dup != (tc.id != "") {
				t.Errorf("Enqueue after River's insert = %v, %v; want duplicate %v", dup, err, tc.id != "")
			}
			if _, err := q.store.DB.ExecContext(t.Context(), `DELETE FROM river_job`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSQLiteInsertRepeatInBatch: a delivery twice in one group commit is
// stored once and the second is its duplicate; the other jobs of the
// batch are stored (River's insert failed the whole batch).
func TestSQLiteInsertRepeatInBatch(t *testing.T) {
	q, err := Open(t.Context(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	params := func(id string) river.InsertManyParams {
		d := &handlers.QueuedDelivery{Source: "website", DeliveryID: id, Method: http.MethodPost, Path: "/hooks/website"}
		return river.InsertManyParams{Args: deliveryArgs{Source: d.Source, DeliveryID: id, Delivery: d}, InsertOpts: q.insertOpts(d)}
	}
	res, err := q.insertBatch(t.Context(), []river.InsertManyParams{params("a"), params("b"), params("a")})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, r := range res {
		got = append(got, r.UniqueSkippedAsDuplicate)
	}
	if len(got) != 3 || got[0] || got[1] || !got[2] {
		t.Errorf("duplicates = %v, want [false false true]", got)
	}
	if s, err := q.Stats(t.Context()); err != nil || s.Queued != 2 {
		t.Errorf("Stats = %+v, %v; want 2 queued", s, err)
	}
}

// TestJobRowOfRefusesUnwrittenOpts: an insert option the embedded
// store's insert does not write is an error, not dropped.
func TestJobRowOfRefusesUnwrittenOpts(t *testing.T) {
	args := deliveryArgs{DeliveryID: "d-1", Source: "website"}
	tests := []struct {
		name string
		opts river.InsertOpts
		ok   bool
	}{
		{name: "the intake's", opts: river.InsertOpts{Queue: queueName, Tags: []string{"source_website"}, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}, ok: true},
		{name: "scheduled", opts: river.InsertOpts{Queue: queueName, ScheduledAt: time.Now().Add(time.Minute)}},
		{name: "priority", opts: river.InsertOpts{Queue: queueName, Priority: 2}},
		{name: "metadata", opts: river.InsertOpts{Queue: queueName, Metadata: []byte(`{}`)}},
		{name: "pending", opts: river.InsertOpts{Queue: queueName, Pending: true}},
		{name: "unique by period", opts: river.InsertOpts{Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}},
		{name: "unique by state", opts: river.InsertOpts{Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobRowOf(args, &tc.opts)
			if (err == nil) != tc.ok {
				t.Errorf("jobRowOf: error %v, want ok %v", err, tc.ok)
			}
		})
	}
}
