package webhook

import (
	"context"
	"sync"
	"time"
)

// SeenOnce remembers one-time values, such as Mailgun tokens, so that a
// value is accepted once within its window. Implementations must be safe
// for concurrent use; idempotency.Memory and idempotency.Redis implement
// it, so replicas sharing a Redis share what they have seen.
type SeenOnce interface {
	// FirstUse records key with value for ttl. It reports true when key
	// was unknown, or known with the same value (the same delivery sent
	// again, answered by delivery-id deduplication); false when key was
	// already used with another value. An error means the store could
	// not be asked (the delivery is refused as temporary, 503).
	FirstUse(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
}

// seenMaxLocal bounds the fallback store; when full, expired entries are
// dropped and, if still full, the whole map (a value then may pass twice
// on one replica, never more often than a shared store would allow).
const seenMaxLocal = 100_000

// localSeen is the in-process SeenOnce used when Options.Seen is nil.
type localSeen struct {
	now func() time.Time

	mu   sync.Mutex
	vals map[string]localSeenEntry
}

type localSeenEntry struct {
	value   string
	expires time.Time
}

func newLocalSeen(now func() time.Time) *localSeen {
	return &localSeen{now: now, vals: map[string]localSeenEntry{}}
}

// FirstUse implements SeenOnce.
func (s *localSeen) FirstUse(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.vals[key]; ok && now.Before(e.expires) {
		return e.value == value, nil
	}
	if len(s.vals) >= seenMaxLocal {
		for k, e := range s.vals {
			if !now.Before(e.expires) {
				delete(s.vals, k)
			}
		}
		if len(s.vals) >= seenMaxLocal {
			clear(s.vals)
		}
	}
	s.vals[key] = localSeenEntry{value: value, expires: now.Add(ttl)}
	return true, nil
}
