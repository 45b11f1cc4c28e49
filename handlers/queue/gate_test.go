package queue

import (
	"testing"
	"time"
)

// TestGate: a pause holds every worker; after it one probe goes while
// the others wait; its report opens or re-closes the gate, the backoff
// doubling to the maximum and honouring Retry-After.
func TestGate(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	g := NewGate(func() time.Time { return now }, time.Second, 8*time.Second)
	enter := func(want bool) time.Duration {
		t.Helper()
		ok, wait := g.Enter()
		if ok != want {
			t.Fatalf("Enter() = %v (wait %s), want %v", ok, wait, want)
		}
		return wait
	}
	enter(true)
	enter(true) // open: everyone goes

	steps := []struct {
		name       string
		retryAfter time.Duration
		wantPause  time.Duration
	}{
		{"first failure", 0, time.Second},
		{"second", 0, 2 * time.Second},
		{"Retry-After longer than the backoff", 5 * time.Second, 5 * time.Second},
		{"fourth", 0, 8 * time.Second},
		{"capped", 0, 8 * time.Second},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if d := g.Down(st.retryAfter); d != st.wantPause {
				t.Fatalf("pause %s, want %s", d, st.wantPause)
			}
			if g.Down(0) != st.wantPause {
				t.Fatal("a second failure in the same pause changed it")
			}
			if wait := enter(false); wait != st.wantPause {
				t.Fatalf("wait %s, want %s", wait, st.wantPause)
			}
			now = now.Add(st.wantPause)
			enter(true)  // the probe
			enter(false) // the others wait for it
		})
	}
	if p, n := g.Paused(); !p || n != int64(len(steps)) {
		t.Fatalf("Paused() = %v, %d", p, n)
	}
	g.Release() // a probe that learnt nothing: the next one goes
	enter(true)
	g.Up()
	enter(true)
	enter(true)
	if p, _ := g.Paused(); p {
		t.Fatal("still paused after Up")
	}
}

// TestGateProbeLease: a probe that never reports (its worker died) lets
// another go after the lease.
func TestGateProbeLease(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	g := NewGate(func() time.Time { return now }, time.Second, time.Minute)
	g.Down(0)
	now = now.Add(time.Second)
	if ok, _ := g.Enter(); !ok {
		t.Fatal("no probe after the pause")
	}
	if ok, _ := g.Enter(); ok {
		t.Fatal("a second probe while the first runs")
	}
	now = now.Add(g.probeLease)
	if ok, _ := g.Enter(); !ok {
		t.Fatal("no new probe after the lease")
	}
}
