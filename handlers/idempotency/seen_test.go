package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
)

// seenStore is the webhook.SeenOnce contract both stores implement.
type seenStore interface {
	FirstUse(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
}

// checkFirstUse runs the seen-once contract: a key is accepted with its
// first value (again and again), refused with any other, and does not
// collide with a delivery key of the same name.
func checkFirstUse(t *testing.T, st seenStore, dedupe idempotency.Store) {
	ctx := context.Background()
	steps := []struct {
		name, key, value string
		want             bool
	}{
		{"FirstUse", "tok-1", "form-a", true},
		{"SameValueAgain", "tok-1", "form-a", true},
		{"OtherValueRefused", "tok-1", "form-b", false},
		{"OtherKey", "tok-2", "form-b", true},
	}
	for _, s := range steps {
		got, err := st.FirstUse(ctx, s.key, s.value, time.Hour)
		if err != nil || got != s.want {
			t.Fatalf("%s: FirstUse(%q, %q) = %v, %v; want %v", s.name, s.key, s.value, got, err, s.want)
		}
	}
	if _, ok, err := dedupe.Get(ctx, "tok-1"); ok || err != nil {
		t.Fatalf("a seen-once key shows up as a delivery answer: ok=%v err=%v", ok, err)
	}
	if _, err := st.FirstUse(ctx, "tok-3", "v", 0); err == nil {
		t.Fatal("zero ttl accepted")
	}
}

func TestMemoryFirstUse(t *testing.T) {
	now := time.Unix(1700000000, 0)
	m := idempotency.NewMemory(0, idempotency.WithClock(func() time.Time { return now }))
	checkFirstUse(t, m, m)
	now = now.Add(time.Hour)
	if ok, err := m.FirstUse(context.Background(), "tok-1", "form-b", time.Hour); !ok || err != nil {
		t.Fatalf("after its ttl a key is new again: got %v, %v", ok, err)
	}
}

func TestRedisFirstUse(t *testing.T) {
	srv := redistest.Start(t)
	st := srv.Store()
	checkFirstUse(t, st, st)
	other := srv.Store() // another replica
	if ok, err := other.FirstUse(context.Background(), "tok-1", "form-c", time.Hour); ok || err != nil {
		t.Fatalf("a replica accepted a token another replica has seen: %v, %v", ok, err)
	}
	srv.Stop()
	if _, err := st.FirstUse(context.Background(), "tok-9", "v", time.Hour); !errors.Is(err, idempotency.ErrUnavailable) {
		t.Fatalf("Redis down: err = %v, want ErrUnavailable", err)
	}
}
