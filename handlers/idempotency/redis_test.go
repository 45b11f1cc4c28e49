package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
)

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	st := srv.Store()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"MissingIsNotFound", func(t *testing.T) {
			if _, ok, err := st.Get(ctx, "missing"); ok || err != nil {
				t.Fatalf("got ok=%v err=%v", ok, err)
			}
		}},
		{"PutThenGet", func(t *testing.T) {
			want := answer(201, `{"id":7}`)
			if err := st.Put(ctx, "k", want, time.Hour); err != nil {
				t.Fatal(err)
			}
			got, ok, err := st.Get(ctx, "k")
			if err != nil || !ok || got.Status != 201 || string(got.Body) != `{"id":7}` {
				t.Fatalf("got %+v %v %v", got, ok, err)
			}
		}},
		{"ZeroTTLRejected", func(t *testing.T) {
			if err := st.Put(ctx, "z", answer(200, `{}`), 0); err == nil {
				t.Fatal("zero ttl accepted")
			}
		}},
		{"ClaimOnceThenPendingIsNoAnswer", func(t *testing.T) {
			tok, ok, err := st.Claim(ctx, "c", time.Minute)
			if err != nil || !ok || tok == "" {
				t.Fatalf("first claim: %q %v %v", tok, ok, err)
			}
			if _, ok, err := st.Claim(ctx, "c", time.Minute); ok || err != nil {
				t.Fatalf("second claim won: %v %v", ok, err)
			}
			if _, ok, err := st.Get(ctx, "c"); ok || err != nil {
				t.Fatalf("pending claim read as an answer: %v %v", ok, err)
			}
			if err := st.Release(ctx, "c", "pending:not-ours"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := st.Claim(ctx, "c", time.Minute); ok {
				t.Fatal("release with a foreign token dropped the claim")
			}
			if err := st.Release(ctx, "c", tok); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := st.Claim(ctx, "c", time.Minute); !ok || err != nil {
				t.Fatalf("claim after release: %v %v", ok, err)
			}
		}},
		{"ClaimOnAnswerLoses", func(t *testing.T) {
			if _, ok, _ := st.Claim(ctx, "k", time.Minute); ok {
				t.Fatal("claimed a delivery that has an answer")
			}
		}},
		{"ReleaseKeepsAnswer", func(t *testing.T) {
			if err := st.Release(ctx, "k", "pending:x"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := st.Get(ctx, "k"); !ok {
				t.Fatal("release deleted an answer")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

func TestNewRedisValidates(t *testing.T) {
	if _, err := idempotency.NewRedis(nil); err == nil {
		t.Error("nil client accepted")
	}
	srv := redistest.Start(t)
	if _, err := idempotency.NewRedis(srv.Client(), idempotency.WithRedisPrefix("")); err == nil {
		t.Error("empty prefix accepted")
	}
}

// replica is one process: its own Redis client and Deduper.
func replica(t *testing.T, srv *redistest.Server, opts ...idempotency.DeduperOption) *idempotency.Deduper {
	t.Helper()
	d, err := idempotency.New(srv.Store(), time.Hour, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRedisTwoReplicasActOncePerKey(t *testing.T) {
	srv := redistest.Start(t)
	a, b := replica(t, srv), replica(t, srv)
	const keys, dups = 40, 4
	var mu sync.Mutex
	calls := map[string]int{}
	var wg sync.WaitGroup
	for k := range keys {
		key := fmt.Sprintf("delivery-%d", k)
		for i := range dups {
			d := a
			if i%2 == 1 {
				d = b
			}
			wg.Go(func() {
				ans, _, err := d.Do(context.Background(), key, func(context.Context) (idempotency.Answer, bool) {
					mu.Lock()
					calls[key]++
					mu.Unlock()
					time.Sleep(5 * time.Millisecond) // hold the claim while the duplicates arrive
					return answer(200, `{"key":"`+key+`"}`), true
				})
				if err != nil || ans.Status != 200 || string(ans.Body) != `{"key":"`+key+`"}` {
					t.Errorf("%s: got %d %s %v", key, ans.Status, ans.Body, err)
				}
			})
		}
	}
	wg.Wait()
	for k := range keys {
		if n := calls[fmt.Sprintf("delivery-%d", k)]; n != 1 {
			t.Errorf("delivery-%d acted %d times", k, n)
		}
	}
}

func TestRedisLoserWaitsOrGivesUp(t *testing.T) {
	srv := redistest.Start(t)
	winner := replica(t, srv)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = winner.Do(context.Background(), "slow", func(context.Context) (idempotency.Answer, bool) {
			close(started)
			<-release
			return answer(200, `{"first":true}`), true
		})
	}()
	<-started
	never := func(context.Context) (idempotency.Answer, bool) {
		t.Error("the loser acted")
		return idempotency.Answer{}, false
	}
	impatient := replica(t, srv, idempotency.WithWait(0))
	if _, _, err := impatient.Do(context.Background(), "slow", never); !errors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("err = %v, want ErrInProgress", err)
	}
	patient := replica(t, srv, idempotency.WithWait(time.Minute), idempotency.WithPollInterval(5*time.Millisecond))
	got := make(chan idempotency.Answer, 1)
	go func() {
		a, replayed, err := patient.Do(context.Background(), "slow", never)
		if err != nil || !replayed {
			t.Errorf("patient loser: replayed=%v err=%v", replayed, err)
		}
		got <- a
	}()
	close(release)
	<-done
	if a := <-got; string(a.Body) != `{"first":true}` {
		t.Fatalf("loser got %s", a.Body)
	}
}

func TestRedisTemporaryAnswerReleasesClaim(t *testing.T) {
	srv := redistest.Start(t)
	a, b := replica(t, srv), replica(t, srv)
	var calls atomic.Int32
	fn := func(status int) func(context.Context) (idempotency.Answer, bool) {
		return func(context.Context) (idempotency.Answer, bool) {
			calls.Add(1)
			return answer(status, `{}`), status < 500
		}
	}
	ctx := context.Background()
	if ans, replayed, err := a.Do(ctx, "k", fn(503)); err != nil || replayed || ans.Status != 503 {
		t.Fatalf("first: %v %v %v", ans, replayed, err)
	}
	if ans, replayed, err := b.Do(ctx, "k", fn(200)); err != nil || replayed || ans.Status != 200 {
		t.Fatalf("retry on the other replica: %v %v %v", ans, replayed, err)
	}
	if ans, replayed, err := a.Do(ctx, "k", fn(500)); err != nil || !replayed || ans.Status != 200 {
		t.Fatalf("replay: %v %v %v", ans, replayed, err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("acted %d times, want 2", n)
	}
}

func TestRedisCrashedClaimExpires(t *testing.T) {
	srv := redistest.Start(t)
	st := srv.Store()
	// A replica claimed and died: nothing releases its claim.
	if _, ok, err := st.Claim(context.Background(), "k", 150*time.Millisecond); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	d := replica(t, srv, idempotency.WithWait(30*time.Second), idempotency.WithPollInterval(10*time.Millisecond))
	var calls atomic.Int32
	a, replayed, err := d.Do(context.Background(), "k", func(context.Context) (idempotency.Answer, bool) {
		calls.Add(1)
		return answer(200, `{}`), true
	})
	if err != nil || replayed || a.Status != 200 || calls.Load() != 1 {
		t.Fatalf("got %v replayed=%v err=%v calls=%d", a, replayed, err, calls.Load())
	}
}

func TestRedisDownRefusesToAct(t *testing.T) {
	srv := redistest.Start(t)
	d := replica(t, srv)
	ctx := context.Background()
	ok := func(context.Context) (idempotency.Answer, bool) { return answer(200, `{}`), true }
	if _, _, err := d.Do(ctx, "before", ok); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, _, err := d.Do(ctx, "down", func(context.Context) (idempotency.Answer, bool) {
		t.Error("acted while redis was down")
		return idempotency.Answer{}, false
	})
	if !errors.Is(err, idempotency.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	srv.Restart()
	if _, replayed, err := d.Do(ctx, "down", ok); err != nil || replayed {
		t.Fatalf("after restart: replayed=%v err=%v", replayed, err)
	}
}

func TestNewValidatesSharedOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  idempotency.DeduperOption
	}{
		{"ZeroClaimTTL", idempotency.WithClaimTTL(0)},
		{"ZeroPoll", idempotency.WithPollInterval(0)},
		{"NegativeWait", idempotency.WithWait(-time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := idempotency.New(idempotency.NewMemory(1), time.Hour, nil, tc.opt); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
