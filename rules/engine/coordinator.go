package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ContactCoordinator is the state that keeps one contact from being
// created twice: a per-contact lock (the key is the normalised email, or
// the phone digits when the rules match on phone) and the settle window of
// a create whose outcome is unknown (see WithSettleWindow). The default
// lives in the engine's memory, which protects one process only; a shared
// implementation (handlers/idempotency.ContactState on Redis) protects
// every replica and survives a restart. Errors of a shared store must wrap
// ErrSharedState (or ErrContactBusy for a lock not obtained in time): the
// event fails as a temporary failure (503) and nothing is created.
type ContactCoordinator interface {
	// Lock takes the lock for key and returns its release.
	Lock(ctx context.Context, key string) (unlock func(), err error)
	// MarkUnsettled records that a create for key, sent at at, has an
	// unknown outcome; the mark may be forgotten once window has passed.
	MarkUnsettled(ctx context.Context, key string, at time.Time, window time.Duration) error
	// Unsettled returns the time of key's mark, if any.
	Unsettled(ctx context.Context, key string) (time.Time, bool, error)
	// Settle forgets key's mark (the contact was found).
	Settle(ctx context.Context, key string) error
}

// ErrSharedState matches the errors of a shared ContactCoordinator that
// did not answer: the event is not processed (a temporary failure).
var ErrSharedState = errors.New("engine: shared contact state unavailable")

// ErrContactBusy matches a per-contact lock not obtained within the wait:
// another delivery for the contact is being processed (a temporary failure).
var ErrContactBusy = errors.New("engine: another delivery for this contact is in progress")

// WithContactCoordinator replaces the in-memory per-contact lock and
// settle window with c (e.g. shared through Redis by every replica).
func WithContactCoordinator(c ContactCoordinator) EngineOption {
	return func(e *Engine) error {
		if c == nil {
			return errors.New("engine: nil contact coordinator")
		}
		e.coord = c
		return nil
	}
}

// memoryCoordinator is the default: one process's memory.
type memoryCoordinator struct {
	locks     keyLocks
	unsettled *recentSet[time.Time]
}

func newMemoryCoordinator() *memoryCoordinator {
	return &memoryCoordinator{unsettled: newRecentSet[time.Time](10000)}
}

func (m *memoryCoordinator) Lock(_ context.Context, key string) (func(), error) {
	return m.locks.lock(key), nil
}

func (m *memoryCoordinator) MarkUnsettled(_ context.Context, key string, at time.Time, _ time.Duration) error {
	m.unsettled.add(key, at)
	return nil
}

func (m *memoryCoordinator) Unsettled(_ context.Context, key string) (time.Time, bool, error) {
	at, ok := m.unsettled.get(key)
	return at, ok, nil
}

func (m *memoryCoordinator) Settle(_ context.Context, key string) error {
	m.unsettled.forget(key)
	return nil
}

// sharedErr makes sure a coordinator's error matches ErrSharedState or
// ErrContactBusy, so that it is classified as temporary.
func sharedErr(op string, err error) error {
	if errors.Is(err, ErrSharedState) || errors.Is(err, ErrContactBusy) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("engine: %s: %w", op, err)
	}
	return fmt.Errorf("engine: %s: %w: %w", op, ErrSharedState, err)
}
