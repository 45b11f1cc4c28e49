package deskera

import (
	"context"
	"time"
)

// Attempt is one HTTP attempt a Client made: what WithObserver reports,
// with the method and path (never the query, which may carry an email).
type Attempt struct {
	Op       string
	Method   string
	Path     string
	Status   int // 0: no answer (transport error)
	Duration time.Duration
	N        int // 1 for the first attempt of a call, 2 for its first retry...
}

type attemptObserverKey struct{}

// WithAttemptObserver returns a context under which every HTTP attempt a
// Client makes is also reported to fn: a per-delivery record of the calls
// made, beside the client-wide WithObserver. fn must be safe for
// concurrent use when ctx is shared by concurrent calls.
func WithAttemptObserver(ctx context.Context, fn func(Attempt)) context.Context {
	return context.WithValue(ctx, attemptObserverKey{}, fn)
}

func observeAttempt(ctx context.Context, a Attempt) {
	if fn, ok := ctx.Value(attemptObserverKey{}).(func(Attempt)); ok && fn != nil {
		fn(a)
	}
}
