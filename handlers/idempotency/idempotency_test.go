package idempotency_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/idempotency"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func answer(status int, body string) idempotency.Answer {
	return idempotency.Answer{Status: status, Body: json.RawMessage(body)}
}

func TestMemoryTTLAndSize(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	m := idempotency.NewMemory(2, idempotency.WithClock(clk.now))
	put := func(k string) {
		t.Helper()
		if err := m.Put(ctx, k, answer(200, `{"k":"`+k+`"}`), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	has := func(k string) bool {
		_, ok, err := m.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	put("a")
	put("b")
	if !has("a") || !has("b") {
		t.Fatal("fresh entries missing")
	}
	put("c") // evicts the oldest, a
	if has("a") || !has("c") || m.Len() != 2 {
		t.Fatalf("size bound: a=%v c=%v len=%d", has("a"), has("c"), m.Len())
	}
	clk.add(time.Minute)
	if has("b") || has("c") {
		t.Fatal("entries outlived their ttl")
	}
	if err := m.Put(ctx, "x", answer(200, `{}`), 0); err == nil {
		t.Fatal("zero ttl accepted")
	}
}

func TestDeduperReplay(t *testing.T) {
	ctx := context.Background()
	d, err := idempotency.New(idempotency.NewMemory(10), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	fn := func(status int) func(context.Context) (idempotency.Answer, bool) {
		return func(context.Context) (idempotency.Answer, bool) {
			calls++
			return answer(status, `{"n":1}`), status != 503
		}
	}
	tests := []struct {
		name         string
		key          string
		status       int
		wantReplayed bool
		wantStatus   int
		wantCalls    int
	}{
		{"FirstActs", "k1", 200, false, 200, 1},
		{"ReplayReturnsFirst", "k1", 500, true, 200, 1},
		{"TemporaryNotStored", "k2", 503, false, 503, 2},
		{"RetryAfterTemporaryActs", "k2", 201, false, 201, 3},
		{"ThenReplays", "k2", 503, true, 201, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, replayed, err := d.Do(ctx, tc.key, fn(tc.status))
			if err != nil {
				t.Fatal(err)
			}
			if replayed != tc.wantReplayed || a.Status != tc.wantStatus || calls != tc.wantCalls {
				t.Fatalf("got replayed=%v status=%d calls=%d, want %v %d %d",
					replayed, a.Status, calls, tc.wantReplayed, tc.wantStatus, tc.wantCalls)
			}
		})
	}
}

func TestDeduperConcurrentDuplicatesActOnce(t *testing.T) {
	d, err := idempotency.New(idempotency.NewMemory(10), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) (idempotency.Answer, bool) {
		calls.Add(1)
		<-release
		return answer(200, `{"ok":true}`), true
	}
	const n = 50
	var wg sync.WaitGroup
	results := make(chan idempotency.Answer, n)
	for range n {
		wg.Go(func() {
			a, _, err := d.Do(context.Background(), "same", fn)
			if err != nil {
				t.Error(err)
			}
			results <- a
		})
	}
	time.Sleep(20 * time.Millisecond) // let the callers pile up behind the first
	close(release)
	wg.Wait()
	close(results)
	for a := range results {
		if a.Status != 200 || string(a.Body) != `{"ok":true}` {
			t.Fatalf("a caller got %d %s", a.Status, a.Body)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("fn ran %d times, want 1", got)
	}
}

func TestDeduperWaiterContextEnds(t *testing.T) {
	d, err := idempotency.New(idempotency.NewMemory(10), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	go d.Do(context.Background(), "k", func(context.Context) (idempotency.Answer, bool) {
		close(started)
		<-release
		return answer(200, `{}`), true
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = d.Do(ctx, "k", func(context.Context) (idempotency.Answer, bool) {
		t.Error("duplicate acted")
		return idempotency.Answer{}, false
	})
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type failingStore struct{}

func (failingStore) Get(context.Context, string) (idempotency.Answer, bool, error) {
	return idempotency.Answer{}, false, errors.New("down")
}
func (failingStore) Put(context.Context, string, idempotency.Answer, time.Duration) error {
	return errors.New("down")
}

func TestDeduperStoreDownStillActs(t *testing.T) {
	d, err := idempotency.New(failingStore{}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, replayed, err := d.Do(context.Background(), "k", func(context.Context) (idempotency.Answer, bool) {
		return answer(200, `{}`), true
	})
	if err != nil || replayed || a.Status != 200 {
		t.Fatalf("got %v %v %v", a, replayed, err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := idempotency.New(nil, time.Hour, nil); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := idempotency.New(idempotency.NewMemory(1), 0, nil); err == nil {
		t.Error("zero ttl accepted")
	}
}

// TestMemoryBoundedByBytes: large answers evict the oldest by bytes long
// before the entry count is reached, the newest answer is always kept,
// and answers are stored compact.
func TestMemoryBoundedByBytes(t *testing.T) {
	ctx := context.Background()
	const limit = 64 << 10
	big := func(i int) idempotency.Answer {
		return answer(200, `{"events": [`+strings.Repeat(`{"outcome": "ok", "pad": "xxxxxxxxxxxxxxxx"},`, 400)+`{"i": `+strconv.Itoa(i)+`}]}`)
	}
	tests := []struct {
		name     string
		maxBytes int64
		puts     int
		wantMax  int64 // bound on Bytes() after the puts
		wantLast bool  // the newest answer is kept
	}{
		{"LargeAnswersEvictByBytes", limit, 200, limit, true},
		{"OneAnswerLargerThanTheBound", 1 << 10, 3, 30 << 10, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := idempotency.NewMemory(0, idempotency.WithMaxBytes(tc.maxBytes))
			for i := range tc.puts {
				if err := m.Put(ctx, "k"+strconv.Itoa(i), big(i), time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			if got := m.Bytes(); got > tc.wantMax || got <= 0 {
				t.Fatalf("Bytes() = %d after %d large answers, want in (0, %d]", got, tc.puts, tc.wantMax)
			}
			if m.Len() >= tc.puts {
				t.Fatalf("Len() = %d: nothing evicted by bytes", m.Len())
			}
			last := "k" + strconv.Itoa(tc.puts-1)
			a, ok, err := m.Get(ctx, last)
			if err != nil || ok != tc.wantLast {
				t.Fatalf("newest answer kept = %v (%v), want %v", ok, err, tc.wantLast)
			}
			if ok && (bytes.Contains(a.Body, []byte(": ")) || !json.Valid(a.Body)) {
				t.Fatalf("stored answer not compact JSON: %.80s", a.Body)
			}
			if _, ok, _ := m.Get(ctx, "k0"); ok {
				t.Fatal("oldest answer survived the byte bound")
			}
		})
	}
}

// TestMemoryBytesAccounting: replacing and expiring entries gives their
// bytes back.
func TestMemoryBytesAccounting(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	m := idempotency.NewMemory(0, idempotency.WithClock(clk.now))
	_ = m.Put(ctx, "a", answer(200, `{"x":"`+strings.Repeat("a", 1000)+`"}`), time.Minute)
	one := m.Bytes()
	_ = m.Put(ctx, "a", answer(200, `{"x":"`+strings.Repeat("a", 1000)+`"}`), time.Minute)
	if m.Bytes() != one {
		t.Fatalf("replacing an answer: Bytes() = %d, want %d", m.Bytes(), one)
	}
	clk.add(2 * time.Minute)
	_ = m.Put(ctx, "b", answer(200, `{}`), time.Minute) // evicts expired a
	if m.Bytes() >= one || m.Len() != 1 {
		t.Fatalf("after expiry: Bytes() = %d, Len() = %d", m.Bytes(), m.Len())
	}
}

// TestMemoryFirstUseCountsBytes: one-time values (Mailgun tokens) count
// against the byte bound like stored answers, so a flood of tokens cannot
// grow the store past it.
func TestMemoryFirstUseCountsBytes(t *testing.T) {
	m := idempotency.NewMemory(0, idempotency.WithMaxBytes(4096))
	ctx := context.Background()
	for i := range 1000 {
		if _, err := m.FirstUse(ctx, "token-"+strconv.Itoa(i), strings.Repeat("v", 64), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Bytes(); got <= 0 || got > 4096 {
		t.Fatalf("Bytes() = %d after 1000 tokens, want within (0, 4096]", got)
	}
}

// TestMemoryStoresAnswersCompact: a stored answer is the body without
// insignificant white space (inside strings it stays), in a copy of its
// own; a body that is not JSON is kept as it is.
func TestMemoryStoresAnswersCompact(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ body, want string }{
		{`{"outcome":"ok","ids":[1,2]}`, `{"outcome":"ok","ids":[1,2]}`},
		{"{\"outcome\": \"ok\",\n \"ids\": [1, 2]}", `{"outcome":"ok","ids":[1,2]}`},
		{`{"error":"a b\tc"}`, `{"error":"a b\tc"}`},
		{`{"error": "a b"}`, `{"error":"a b"}`},
		{`not json`, `not json`},
		{`{bad}`, `{bad}`},
	} {
		m := idempotency.NewMemory(0)
		body := []byte(tc.body)
		if err := m.Put(ctx, "k", idempotency.Answer{Status: 200, Body: body}, time.Hour); err != nil {
			t.Fatal(err)
		}
		copy(body, strings.Repeat("x", len(body))) // the caller reuses its buffer
		a, ok, err := m.Get(ctx, "k")
		if err != nil || !ok || string(a.Body) != tc.want {
			t.Errorf("Put(%q): stored %q (%v, %v), want %q", tc.body, a.Body, ok, err, tc.want)
		}
	}
}
