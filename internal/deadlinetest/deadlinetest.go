// Package deadlinetest helps tests of the contexts that bound work: a
// caller's context with or without a deadline, and the check of the
// deadline a derived context got.
package deadlinetest

import (
	"context"
	"testing"
	"time"
)

// Parent is a cancellable context whose deadline is d from now (none when
// d is 0), as a caller's request would carry.
func Parent(d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(context.Background(), d)
	}
	return context.WithCancel(context.Background())
}

// Check fails t unless ctx has a deadline want after a moment between
// start (taken before the caller's context was made) and now.
func Check(t testing.TB, ctx context.Context, start time.Time, want time.Duration) {
	t.Helper()
	dl, ok := ctx.Deadline()
	if !ok || dl.Before(start.Add(want)) || dl.After(time.Now().Add(want)) {
		t.Errorf("deadline in %v (set %v), want %v", time.Until(dl), ok, want)
	}
}

// Case is a caller's deadline (Parent from now, 0: none) and the
// deadline a context bounded by a timeout and derived from the caller's
// must get (Want from now).
type Case struct {
	Name   string
	Parent time.Duration
	Want   time.Duration
}

// Cases are the callers a context bounded by timeout (over a second,
// under an hour) is tested against: one without a deadline and one with
// a later deadline get the timeout, one with a sooner deadline keeps it.
func Cases(timeout time.Duration) []Case {
	return []Case{
		{Name: "no caller deadline", Want: timeout},
		{Name: "a later caller deadline", Parent: time.Hour, Want: timeout},
		{Name: "a sooner caller deadline", Parent: time.Second, Want: time.Second},
	}
}
