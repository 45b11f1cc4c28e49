package idempotency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Deduper runs an action at most once per key: within the TTL a repeated
// key gets the stored answer, and callers arriving while the first is
// still acting wait for it and share its answer.
type Deduper struct {
	store Store
	ttl   time.Duration
	log   *slog.Logger

	// Shared stores (Claimer) only.
	claimTTL time.Duration
	wait     time.Duration
	poll     time.Duration

	mu       sync.Mutex
	inflight map[string]*call
}

type call struct {
	done     chan struct{}
	answer   Answer
	replayed bool
	err      error
}

// Errors from Do with a shared store (a Claimer). Both mean "not acted
// on, retry later": the service answers 503 with Retry-After.
var (
	// ErrUnavailable: the shared store failed, and acting without it
	// could act twice across replicas.
	ErrUnavailable = errors.New("idempotency: shared store unavailable")
	// ErrInProgress: another replica holds the delivery's claim and did
	// not store an answer within the wait.
	ErrInProgress = errors.New("idempotency: delivery in progress elsewhere")
)

// Defaults for shared stores.
const (
	// DefaultClaimTTL bounds how long a claim blocks a delivery when its
	// replica dies; it must exceed the processing time of one delivery
	// (the action's context is cut at the claim's end).
	DefaultClaimTTL = time.Minute
	// DefaultWait is how long a replica that lost the claim polls for the
	// winner's answer before answering ErrInProgress.
	DefaultWait = 10 * time.Second
	// DefaultPollInterval is the polling period while waiting.
	DefaultPollInterval = 50 * time.Millisecond
)

// DeduperOption configures a Deduper.
type DeduperOption func(*Deduper)

// WithClaimTTL sets how long a shared claim lives (DefaultClaimTTL).
func WithClaimTTL(d time.Duration) DeduperOption { return func(x *Deduper) { x.claimTTL = d } }

// WithWait sets how long a loser waits for the winner's answer (DefaultWait).
func WithWait(d time.Duration) DeduperOption { return func(x *Deduper) { x.wait = d } }

// WithPollInterval sets the polling period while waiting (DefaultPollInterval).
func WithPollInterval(d time.Duration) DeduperOption { return func(x *Deduper) { x.poll = d } }

// New returns a Deduper over store keeping answers for ttl.
func New(store Store, ttl time.Duration, log *slog.Logger, opts ...DeduperOption) (*Deduper, error) {
	if store == nil {
		return nil, errors.New("idempotency: nil store")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("idempotency: ttl %v must be positive", ttl)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Deduper{store: store, ttl: ttl, log: log, inflight: map[string]*call{},
		claimTTL: DefaultClaimTTL, wait: DefaultWait, poll: DefaultPollInterval}
	for _, o := range opts {
		o(d)
	}
	if d.claimTTL <= 0 || d.poll <= 0 || d.wait < 0 {
		return nil, fmt.Errorf("idempotency: claim ttl %v and poll interval %v must be positive, wait %v not negative", d.claimTTL, d.poll, d.wait)
	}
	return d, nil
}

// Do returns the answer for key. On a replay (stored or in flight) it
// returns that answer with replayed true and does not call fn. Otherwise
// it calls fn and stores the answer when fn says keep.
//
// With a store that is not a Claimer (Memory), a failing store is logged
// and treated as empty: the delivery acts rather than being lost, and the
// error is non-nil only when ctx ended while waiting for another caller.
// With a Claimer (Redis), Do takes the shared claim before acting; it
// returns ErrUnavailable when the store fails and ErrInProgress when
// another replica holds the claim past the wait, never acting then.
func (d *Deduper) Do(ctx context.Context, key string, fn func(ctx context.Context) (a Answer, keep bool)) (Answer, bool, error) {
	a, ok, err := d.lookup(ctx, key)
	if err != nil {
		return Answer{}, false, err
	}
	if ok {
		return a, true, nil
	}
	d.mu.Lock()
	if c, ok := d.inflight[key]; ok {
		d.mu.Unlock()
		select {
		case <-c.done:
			return c.answer, true, c.err
		case <-ctx.Done():
			return Answer{}, false, ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	d.inflight[key] = c
	d.mu.Unlock()
	defer d.finish(key, c)
	c.answer, c.replayed, c.err = d.act(ctx, key, fn)
	return c.answer, c.replayed, c.err
}

// act runs fn unless an answer appeared meanwhile; with a shared store it
// acts only under the delivery's claim.
func (d *Deduper) act(ctx context.Context, key string, fn func(ctx context.Context) (Answer, bool)) (Answer, bool, error) {
	// Another caller may have finished between the lookup and the claim.
	if a, ok, err := d.lookup(ctx, key); err != nil || ok {
		return a, ok, err
	}
	if cl, shared := d.store.(Claimer); shared {
		return d.actShared(ctx, cl, key, fn)
	}
	a, keep := fn(ctx)
	if keep {
		if err := d.store.Put(context.WithoutCancel(ctx), key, a, d.ttl); err != nil {
			d.log.ErrorContext(ctx, "idempotency store put failed", "err", err)
		}
	}
	return a, false, nil
}

// actShared claims key and acts, or, when another replica holds the
// claim, polls for its answer (taking the claim over if it is released or
// expires) until the wait is over.
func (d *Deduper) actShared(ctx context.Context, cl Claimer, key string, fn func(ctx context.Context) (Answer, bool)) (Answer, bool, error) {
	deadline := time.Now().Add(d.wait)
	for {
		token, won, err := cl.Claim(ctx, key, d.claimTTL)
		if err != nil {
			d.log.ErrorContext(ctx, "idempotency claim failed", "err", err)
			return Answer{}, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if won {
			return d.runClaimed(ctx, cl, key, token, fn), false, nil
		}
		a, ok, err := d.lookup(ctx, key)
		if err != nil || ok {
			return a, ok, err
		}
		if !time.Now().Before(deadline) {
			return Answer{}, false, ErrInProgress
		}
		t := time.NewTimer(d.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return Answer{}, false, ctx.Err()
		case <-t.C:
		}
	}
}

// runClaimed acts under our claim. A kept answer replaces the claim; a
// temporary one releases it so the sender's retry may act at once. When
// storing fails the claim is left to expire: retries get ErrInProgress
// (or ErrUnavailable) until then.
func (d *Deduper) runClaimed(ctx context.Context, cl Claimer, key, token string, fn func(ctx context.Context) (Answer, bool)) Answer {
	cctx, cancel := context.WithTimeout(ctx, d.claimTTL)
	defer cancel()
	a, keep := fn(cctx)
	bg := context.WithoutCancel(ctx)
	if keep {
		if err := d.store.Put(bg, key, a, d.ttl); err != nil {
			d.log.ErrorContext(bg, "idempotency store put failed; the claim expires on its own", "err", err)
		}
		return a
	}
	if err := cl.Release(bg, key, token); err != nil {
		d.log.ErrorContext(bg, "idempotency claim release failed; it expires on its own", "err", err)
	}
	return a
}

// lookup reads a stored answer. A failing shared store is an
// ErrUnavailable; any other failing store is logged and taken as empty.
func (d *Deduper) lookup(ctx context.Context, key string) (Answer, bool, error) {
	a, ok, err := d.store.Get(ctx, key)
	if err == nil {
		return a, ok, nil
	}
	d.log.ErrorContext(ctx, "idempotency store get failed", "err", err)
	if _, shared := d.store.(Claimer); shared {
		return Answer{}, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return Answer{}, false, nil
}

func (d *Deduper) finish(key string, c *call) {
	d.mu.Lock()
	delete(d.inflight, key)
	d.mu.Unlock()
	close(c.done)
}
