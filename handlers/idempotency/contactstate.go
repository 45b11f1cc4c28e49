package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leadhook/leadhook/rules/engine"
)

// DefaultContactPrefix namespaces the shared contact state in Redis.
const DefaultContactPrefix = "leadhook:contact:"

// Defaults of a ContactState's lock.
const (
	// DefaultLockTTL bounds how long a replica that died holding a contact
	// lock blocks that contact.
	DefaultLockTTL = 2 * time.Minute
	// DefaultLockWait is how long Lock waits for a busy contact before the
	// event fails as temporary (503, the sender retries).
	DefaultLockWait = 10 * time.Second
)

// ContactState is a engine.ContactCoordinator shared by every replica
// through Redis: the per-contact lock is a key set with SET NX PX to a
// random token (released by a script only while it still holds that
// token), and the settle window of a create whose outcome is unknown is a
// key that expires with the window. Two replicas then never create one
// contact twice, and a restart inside the window does not either. Redis
// errors match engine.ErrSharedState; a lock not obtained within the wait
// matches engine.ErrContactBusy: both are temporary failures.
type ContactState struct {
	client   redis.UniversalClient
	prefix   string
	lockTTL  time.Duration
	lockWait time.Duration
}

var _ engine.ContactCoordinator = (*ContactState)(nil)

// ContactStateOption configures NewContactState.
type ContactStateOption func(*ContactState) error

// WithContactPrefix replaces DefaultContactPrefix.
func WithContactPrefix(p string) ContactStateOption {
	return setIf(p != "", "empty contact key prefix", func(c *ContactState) { c.prefix = p })
}

// WithLockTTL sets how long a lock lives when its holder never releases
// it (default DefaultLockTTL); it must exceed the longest processing of
// one event.
func WithLockTTL(d time.Duration) ContactStateOption {
	return setIf(d > 0, fmt.Sprintf("lock ttl %v is not positive", d), func(c *ContactState) { c.lockTTL = d })
}

// WithLockWait sets how long Lock waits for a busy contact (default
// DefaultLockWait).
func WithLockWait(d time.Duration) ContactStateOption {
	return setIf(d > 0, fmt.Sprintf("lock wait %v is not positive", d), func(c *ContactState) { c.lockWait = d })
}

// NewContactState returns the shared contact state on client. It does not
// contact Redis.
func NewContactState(client redis.UniversalClient, opts ...ContactStateOption) (*ContactState, error) {
	if client == nil {
		return nil, errors.New("idempotency: nil redis client")
	}
	c := &ContactState{client: client, prefix: DefaultContactPrefix, lockTTL: DefaultLockTTL, lockWait: DefaultLockWait}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// keys are hashed: an email never appears in Redis in clear.
func (c *ContactState) keyOf(key, kind string) string {
	sum := sha256.Sum256([]byte(key))
	return c.prefix + hex.EncodeToString(sum[:]) + ":" + kind
}

// Lock implements engine.ContactCoordinator: it retries SET NX PX with a
// growing pause (10ms up to 250ms) until it holds the lock, the wait is
// over (engine.ErrContactBusy) or ctx ends.
func (c *ContactState) Lock(ctx context.Context, key string) (func(), error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	k := c.keyOf(key, "lock")
	deadline := time.Now().Add(c.lockWait)
	pause := 10 * time.Millisecond
	for {
		ok, err := c.client.SetNX(ctx, k, token, c.lockTTL).Result()
		if err != nil {
			return nil, fmt.Errorf("idempotency: redis contact lock: %w: %w", engine.ErrSharedState, err)
		}
		if ok {
			return func() { c.release(k, token) }, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("idempotency: contact lock still held after %v: %w", c.lockWait, engine.ErrContactBusy)
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("idempotency: waiting for a contact lock: %w", ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// release deletes the lock if it is still token's, on its own context:
// the request's may be done, and an unreleased lock blocks the contact
// until its TTL.
func (c *ContactState) release(k, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = releaseScript.Run(ctx, c.client, []string{k}, token).Err()
}

// MarkUnsettled implements engine.ContactCoordinator: the mark expires
// with the window.
func (c *ContactState) MarkUnsettled(ctx context.Context, key string, at time.Time, window time.Duration) error {
	if window <= 0 {
		return nil
	}
	if err := c.client.Set(ctx, c.keyOf(key, "unsettled"), strconv.FormatInt(at.UnixNano(), 10), window).Err(); err != nil {
		return fmt.Errorf("idempotency: redis mark unsettled create: %w: %w", engine.ErrSharedState, err)
	}
	return nil
}

// Unsettled implements engine.ContactCoordinator.
func (c *ContactState) Unsettled(ctx context.Context, key string) (time.Time, bool, error) {
	v, err := c.client.Get(ctx, c.keyOf(key, "unsettled")).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("idempotency: redis read unsettled create: %w: %w", engine.ErrSharedState, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("idempotency: redis unsettled create mark %q is not a time: %w", v, engine.ErrSharedState)
	}
	return time.Unix(0, n), true, nil
}

// Settle implements engine.ContactCoordinator.
func (c *ContactState) Settle(ctx context.Context, key string) error {
	if err := c.client.Del(ctx, c.keyOf(key, "unsettled")).Err(); err != nil {
		return fmt.Errorf("idempotency: redis settle: %w: %w", engine.ErrSharedState, err)
	}
	return nil
}
