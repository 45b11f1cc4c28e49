package idempotency

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// seenPrefix keeps one-time values apart from delivery keys (which are
// "source\nid" and never start with it).
const seenPrefix = "seen-once\n"

// FirstUse records key with value for ttl (the "seen once" store of the
// webhook verifiers, e.g. Mailgun tokens). It reports true when key was
// unknown, or is known with the same value (the same delivery again:
// its replay is then answered by the Deduper); false when key was already
// used with another value.
func (m *Memory) FirstUse(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errors.New("idempotency: ttl must be positive")
	}
	key = seenPrefix + key
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if el, ok := m.byKey[key]; ok {
		e := el.Value.(*entry)
		if now.Before(e.expires) {
			return string(e.answer.Body) == value, nil
		}
		m.remove(el)
	}
	e := &entry{key: key, answer: Answer{Body: []byte(value)}, expires: now.Add(ttl), size: int64(len(key)+len(value)) + entryOverhead}
	m.byKey[key] = m.order.PushBack(e)
	m.bytes += e.size
	m.evict(now)
	return true, nil
}

// FirstUse implements the same contract on Redis (SET NX, then a
// comparison), so every replica sees a value used by any of them.
func (r *Redis) FirstUse(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errors.New("idempotency: ttl must be positive")
	}
	k := r.key(seenPrefix + key)
	ok, err := r.client.SetNX(ctx, k, value, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("%w: redis seen-once: %w", ErrUnavailable, err)
	}
	if ok {
		return true, nil
	}
	got, err := r.client.Get(ctx, k).Result()
	if errors.Is(err, redis.Nil) { // expired in between: take it again
		return r.FirstUse(ctx, key, value, ttl)
	}
	if err != nil {
		return false, fmt.Errorf("%w: redis seen-once: %w", ErrUnavailable, err)
	}
	return got == value, nil
}
