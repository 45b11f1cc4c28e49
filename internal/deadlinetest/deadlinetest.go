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
