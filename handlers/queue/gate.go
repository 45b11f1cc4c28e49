package queue

import (
	"sync"
	"time"
)

// Gate is the shared pause of CRM intake: when Deskera is down (429,
// 5xx, timeouts, refused credentials) every worker waits for the pause to
// end, then one probe at a time tries again; a success opens the gate
// for all. Its methods are safe for concurrent use.
type Gate struct {
	now      func() time.Time
	min, max time.Duration
	// probeLease bounds a probe that never reports (its worker died).
	probeLease time.Duration

	mu       sync.Mutex
	until    time.Time // closed before this instant
	fails    int       // consecutive pauses (the backoff's exponent)
	probing  bool
	probeEnd time.Time
	pauses   int64
	changed  chan struct{} // closed and replaced at every change
}

// NewGate returns an open gate whose pauses back off from minPause
// doubling to maxPause; now is the clock.
func NewGate(now func() time.Time, minPause, maxPause time.Duration) *Gate {
	return &Gate{now: now, min: minPause, max: maxPause, probeLease: time.Minute, changed: make(chan struct{})}
}

// Changed returns a channel closed at the gate's next change (a pause, a
// probe's report, an opening).
func (g *Gate) Changed() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.changed
}

// notify wakes the waiters; g.mu is held.
func (g *Gate) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// Enter reports whether a worker may call Deskera now; when not, wait is
// how long until it is worth asking again. A worker entering after a
// pause is the probe: others wait until it reports.
func (g *Gate) Enter() (ok bool, wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	switch {
	case now.Before(g.until):
		return false, g.until.Sub(now)
	case g.fails == 0:
		return true, 0
	case g.probing && now.Before(g.probeEnd):
		return false, min(g.min, g.probeEnd.Sub(now))
	}
	g.probing, g.probeEnd = true, now.Add(g.probeLease)
	return true, 0
}

// Down reports Deskera down: the gate closes for the backoff, at least
// retryAfter. Failures of calls made during the same pause do not grow
// the backoff again.
func (g *Gate) Down(retryAfter time.Duration) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.probing = false
	if now.Before(g.until) {
		return g.until.Sub(now)
	}
	d := g.min << min(g.fails, 30)
	if d > g.max || d <= 0 {
		d = g.max
	}
	d = max(d, retryAfter)
	g.fails++
	g.pauses++
	g.until = now.Add(d)
	g.notify()
	return d
}

// Up reports Deskera answering: the gate opens for every worker.
func (g *Gate) Up() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails > 0 || g.probing {
		g.notify()
	}
	g.fails, g.probing, g.until = 0, false, time.Time{}
}

// Release ends a probe that learnt nothing about Deskera (a rule error).
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.probing {
		g.notify()
	}
	g.probing = false
}

// Paused reports whether the gate is closed or half-open, and how many
// pauses it has had.
func (g *Gate) Paused() (paused bool, pauses int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fails > 0, g.pauses
}
