package history_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// eachClocked runs fn on each store historytest.Each opens, the store
// on a test clock c (and opts).
func eachClocked(t *testing.T, opts []history.Option, fn func(ctx context.Context, t *testing.T, s *history.Store, c *clock)) {
	historytest.Each(t, func(t *testing.T, open func(...history.Option) *history.Store) {
		c := newClock()
		fn(context.Background(), t, open(append([]history.Option{history.WithClock(c.now)}, opts...)...), c)
	})
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func rec(source, delivery, mode, outcome string) *history.Record {
	return &history.Record{
		ID: history.ID(source, delivery), Source: source, DeliveryID: delivery, Mode: mode, Outcome: outcome,
		RulesVersion: "abc", Body: []byte(`{"email":"jane@example.com"}`), Header: map[string]string{"Content-Type": "application/json"},
		Events: []history.Event{{EventID: delivery, Email: "j***@example.com", Outcome: outcome, Score: 42,
			Matched: []string{"hot"}, Made: []history.MadeCall{{Op: "contacts.create", Method: "POST", Path: "/v1/crm/contacts", Status: 201, DurationMS: 3.5, Attempt: 1}}}},
		ContactIDs: []int64{7},
	}
}

// mustRecord records every r in s, failing t on the first error.
func mustRecord(ctx context.Context, t *testing.T, s *history.Store, rs ...*history.Record) {
	t.Helper()
	for _, r := range rs {
		if err := s.Record(ctx, r); err != nil {
			t.Fatalf("Record %s: %v", r.ID, err)
		}
	}
}

// mustGet is s's record id, failing t when it cannot be read.
func mustGet(ctx context.Context, t *testing.T, s *history.Store, id string) *history.Record {
	t.Helper()
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	return got
}

func TestRecordGetRoundTrip(t *testing.T) {
	eachClocked(t, nil, func(ctx context.Context, t *testing.T, s *history.Store, c *clock) {
		cases := []struct {
			name     string
			mode     string
			outcome  string
			keepBody bool
		}{
			{"sync ok keeps no body", history.ModeSync, history.OutcomeOK, false},
			{"sync retry keeps no body", history.ModeSync, history.OutcomeRetry, false},
			{"queued keeps the body", history.ModeQueued, history.OutcomeQueued, true},
			{"dead-lettered keeps the body", history.ModeSync, history.OutcomeDead, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := rec("web", tc.name, tc.mode, tc.outcome)
				mustRecord(ctx, t, s, r)
				got := mustGet(ctx, t, s, r.ID)
				wantAttempts := 1
				if tc.outcome == history.OutcomeQueued {
					wantAttempts = 0 // accepted, no attempt ran yet
				}
				if got.Source != "web" || got.Outcome != tc.outcome || got.Attempts != wantAttempts || !got.ReceivedAt.Equal(c.now()) ||
					len(got.Events) != 1 || got.Events[0].Made[0].Status != 201 || !slices.Equal(got.ContactIDs, []int64{7}) {
					t.Fatalf("got %+v", got)
				}
				if kept := got.Body != nil; kept != tc.keepBody {
					t.Fatalf("body kept = %v, want %v", kept, tc.keepBody)
				}
				if tc.keepBody {
					if string(got.Body) != string(r.Body) || got.Header["Content-Type"] != "application/json" ||
						got.BodyExpiresAt == nil || !got.BodyExpiresAt.Equal(c.now().Add(history.DefaultBodyRetention)) {
						t.Fatalf("body %q header %v expires %v", got.Body, got.Header, got.BodyExpiresAt)
					}
				} else if got.Header != nil {
					t.Fatalf("header kept without body: %v", got.Header)
				}
			})
		}
	})
}

func TestRecordAgainUpdatesOneRecord(t *testing.T) {
	eachClocked(t, nil, func(ctx context.Context, t *testing.T, s *history.Store, c *clock) {
		first := c.now()
		r := rec("web", "d1", history.ModeQueued, history.OutcomeRetry)
		next := first.Add(time.Minute)
		r.NextAttemptAt = &next
		mustRecord(ctx, t, s, r)
		c.add(time.Minute)
		again := rec("web", "d1", history.ModeQueued, history.OutcomeOK)
		again.Body = nil // later attempts need not carry it
		mustRecord(ctx, t, s, again)
		got := mustGet(ctx, t, s, r.ID)
		if got.Attempts != 2 || got.Outcome != history.OutcomeOK || !got.ReceivedAt.Equal(first) || !got.UpdatedAt.Equal(c.now()) ||
			got.NextAttemptAt != nil || string(got.Body) != string(r.Body) {
			t.Fatalf("got attempts %d outcome %q received %v updated %v next %v body %q", got.Attempts, got.Outcome, got.ReceivedAt, got.UpdatedAt, got.NextAttemptAt, got.Body)
		}
		third := rec("web", "d1", history.ModeQueued, history.OutcomeOK)
		third.Attempts = 7 // the queue says which attempt this was
		mustRecord(ctx, t, s, third)
		if got := mustGet(ctx, t, s, r.ID); got.Attempts != 7 {
			t.Fatalf("attempts %d, want the queue's 7", got.Attempts)
		}
	})
}

func TestList(t *testing.T) {
	eachClocked(t, nil, func(ctx context.Context, t *testing.T, s *history.Store, c *clock) {
		start := c.now()
		for _, r := range []*history.Record{
			rec("web", "a", history.ModeSync, history.OutcomeOK),
			rec("web", "b", history.ModeSync, history.OutcomeFailed),
			rec("mail", "c", history.ModeQueued, history.OutcomeOK),
			rec("mail", "d", history.ModeSync, history.OutcomeRetry),
		} {
			mustRecord(ctx, t, s, r)
			c.add(time.Second)
		}
		cases := []struct {
			name string
			f    history.Filter
			want []string
		}{
			{"all newest first", history.Filter{}, []string{"d", "c", "b", "a"}},
			{"by source", history.Filter{Source: "web"}, []string{"b", "a"}},
			{"by outcome", history.Filter{Outcome: "ok"}, []string{"c", "a"}},
			{"source and outcome", history.Filter{Source: "mail", Outcome: "retry"}, []string{"d"}},
			{"since", history.Filter{Since: start.Add(2 * time.Second)}, []string{"d", "c"}},
			{"limit", history.Filter{Limit: 1}, []string{"d"}},
			{"with body", history.Filter{WithBody: true}, []string{"c"}},
			{"nothing", history.Filter{Source: "nope"}, []string{}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.List(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, r := range got {
					ids = append(ids, r.DeliveryID)
					if (r.Body != nil) != tc.f.WithBody {
						t.Errorf("%s: body %q with WithBody %v", r.DeliveryID, r.Body, tc.f.WithBody)
					}
				}
				if !slices.Equal(ids, tc.want) {
					t.Fatalf("got %v, want %v", ids, tc.want)
				}
			})
		}
	})
}

func TestPruneAfterRetention(t *testing.T) {
	retention := []history.Option{history.WithBodyRetention(48 * time.Hour), history.WithRetention(96 * time.Hour)}
	eachClocked(t, retention, func(ctx context.Context, t *testing.T, s *history.Store, c *clock) {
		old := rec("web", "old", history.ModeQueued, history.OutcomeOK)
		mustRecord(ctx, t, s, old)
		c.add(24 * time.Hour)
		young := rec("web", "young", history.ModeQueued, history.OutcomeOK)
		mustRecord(ctx, t, s, young)
		steps := []struct {
			after      time.Duration
			want       history.Pruned
			oldBody    bool
			youngBody  bool
			oldRemains bool
		}{
			{after: 0, want: history.Pruned{}, oldBody: true, youngBody: true, oldRemains: true},
			{after: 24 * time.Hour, want: history.Pruned{Bodies: 1}, youngBody: true, oldRemains: true},
			{after: 24 * time.Hour, want: history.Pruned{Bodies: 1}, oldRemains: true},
			{after: 36 * time.Hour, want: history.Pruned{Records: 1}},
		}
		for i, st := range steps {
			c.add(st.after)
			p, err := s.Prune(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p != st.want {
				t.Fatalf("step %d: pruned %+v, want %+v", i, p, st.want)
			}
			g, err := s.Get(ctx, old.ID)
			if remains := err == nil; remains != st.oldRemains {
				t.Fatalf("step %d: old remains %v (%v)", i, remains, err)
			}
			if err != nil && !errors.Is(err, history.ErrNotFound) {
				t.Fatal(err)
			}
			if g != nil && (g.Body != nil) != st.oldBody {
				t.Fatalf("step %d: old body %q", i, g.Body)
			}
			y := mustGet(ctx, t, s, young.ID)
			if (y.Body != nil) != st.youngBody {
				t.Fatalf("step %d: young body %q", i, y.Body)
			}
		}
	})
}

func TestRunPrunerOnTicks(t *testing.T) {
	c := newClock()
	s := historytest.SQLite(t, history.WithClock(c.now), history.WithBodyRetention(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := rec("web", "q", history.ModeQueued, history.OutcomeQueued)
	mustRecord(ctx, t, s, r)
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { s.RunPruner(ctx, tick, nil); close(done) }()
	c.add(2 * time.Hour)
	tick <- c.now()
	tick <- c.now() // the first prune has finished once the second tick is taken
	close(tick)
	<-done
	got := mustGet(ctx, t, s, r.ID)
	if got.Body != nil {
		t.Fatalf("body %q kept past its retention", got.Body)
	}
}

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name string
		opts []history.Option
	}{
		{"negative body retention", []history.Option{history.WithBodyRetention(-time.Second)}},
		{"zero retention", []history.Option{history.WithRetention(0)}},
		{"retention shorter than bodies", []history.Option{history.WithRetention(time.Hour), history.WithBodyRetention(2 * time.Hour)}},
		{"nil clock", []history.Option{history.WithClock(nil)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := history.OpenSQLite(context.Background(), t.TempDir()+"/x.db", tc.opts...); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := history.New(context.Background(), nil, history.SQLite); err == nil {
		t.Fatal("nil db: no error")
	}
}

func TestReopenKeepsRecords(t *testing.T) {
	path := t.TempDir() + "/" + history.FileName
	ctx := context.Background()
	s, err := history.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	r := rec("web", "kept", history.ModeSync, history.OutcomeOK)
	mustRecord(ctx, t, s, r)
	s.Close()
	s2, err := history.OpenSQLite(ctx, path) // migrations run again, once
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	mustGet(ctx, t, s2, r.ID)
}

// Replicas starting at once on one PostgreSQL schema all migrate it
// without tripping over each other (an advisory lock serialises them).
func TestReplicasMigrateAtOnce(t *testing.T) {
	url := historytest.PostgresSchemaURL(t)
	const replicas = 4
	var g errgroup.Group
	for range replicas {
		g.Go(func() error {
			s, err := history.OpenPostgres(context.Background(), url)
			if err == nil {
				s.Close()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestQueuedAttemptsAndSchedule: a queued delivery's intake record says no
// attempt yet; each attempt sets its number, and Schedule the outcome and
// next attempt between attempts (Get and List read them).
func TestQueuedAttemptsAndSchedule(t *testing.T) {
	eachClocked(t, nil, func(ctx context.Context, t *testing.T, s *history.Store, c *clock) {
		r := rec("form", "q-1", history.ModeQueued, history.OutcomeQueued)
		r.Events = nil
		mustRecord(ctx, t, s, r)
		for attempt := 1; attempt <= 2; attempt++ {
			c.add(time.Minute)
			again := rec("form", "q-1", history.ModeQueued, history.OutcomeRetry)
			again.Attempts = attempt
			mustRecord(ctx, t, s, again)
			next := c.now().Add(30 * time.Second).Truncate(time.Millisecond)
			if err := s.Schedule(ctx, r.ID, history.OutcomeQueued, &next); err != nil {
				t.Fatal(err)
			}
			got := mustGet(ctx, t, s, r.ID)
			if got.Attempts != attempt || got.Outcome != history.OutcomeQueued || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(next) {
				t.Fatalf("after attempt %d: attempts %d outcome %q next %v, want %d queued %v", attempt, got.Attempts, got.Outcome, got.NextAttemptAt, attempt, next)
			}
		}
		if err := s.Schedule(ctx, r.ID, history.OutcomeDead, nil); err != nil {
			t.Fatal(err)
		}
		list, err := s.List(ctx, history.Filter{Outcome: history.OutcomeDead})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != r.ID || list[0].NextAttemptAt != nil || list[0].Attempts != 2 {
			t.Fatalf("dead list %+v", list)
		}
		if err := s.Schedule(ctx, "dlv_unknown", history.OutcomeDead, nil); err != nil {
			t.Errorf("schedule of an unknown record: %v", err)
		}
	})
}

// Concurrent Records commit together (group commit): every one is
// stored, a repeat of one id in the same burst updates its record, and a
// Record after Close fails instead of hanging.
func TestConcurrentRecordsAllStored(t *testing.T) {
	historytest.Each(t, func(t *testing.T, open func(...history.Option) *history.Store) {
		s := open()
		ctx := context.Background()
		const n = 60
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Every tenth delivery is recorded twice (its attempts count up).
				id := fmt.Sprintf("d%d", i)
				if err := s.Record(ctx, rec("web", id, history.ModeSync, history.OutcomeOK)); err != nil {
					t.Errorf("Record %s: %v", id, err)
				}
				if i%10 == 0 {
					if err := s.Record(ctx, rec("web", id, history.ModeSync, history.OutcomeOK)); err != nil {
						t.Errorf("Record %s again: %v", id, err)
					}
				}
			}()
		}
		wg.Wait()
		got, err := s.List(ctx, history.Filter{Limit: 2 * n})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%d records, want %d", len(got), n)
		}
		for _, r := range got {
			want := 1
			if n, _ := strconv.Atoi(r.DeliveryID[1:]); n%10 == 0 {
				want = 2
			}
			if r.Attempts != want {
				t.Errorf("%s: attempts %d, want %d", r.DeliveryID, r.Attempts, want)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Record(ctx, rec("web", "late", history.ModeSync, history.OutcomeOK)); err == nil {
			t.Fatal("Record after Close: no error")
		}
	})
}
