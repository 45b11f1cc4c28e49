package idempotency

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// Answer is a stored reply to a delivery.
type Answer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// Store keeps answers by key for a while. Implementations must be safe
// for concurrent use.
type Store interface {
	// Get returns the answer stored under key, if any and not expired.
	Get(ctx context.Context, key string) (Answer, bool, error)
	// Put stores a under key for ttl, replacing any earlier answer.
	Put(ctx context.Context, key string, a Answer, ttl time.Duration) error
}

// Claimer is implemented by stores shared between processes (Redis). The
// Deduper takes a claim before acting so that two replicas never act on
// one delivery at the same time; a claim expires after its ttl so a
// crashed replica blocks a delivery for at most that long. A store that
// is a Claimer is trusted for correctness: when it fails, the Deduper
// refuses the delivery (ErrUnavailable) rather than act without it.
type Claimer interface {
	// Claim marks key in flight for ttl unless it already holds a claim
	// or an answer; ok reports whether the claim is ours, token names it.
	Claim(ctx context.Context, key string, ttl time.Duration) (token string, ok bool, err error)
	// Release drops our claim (token) so a retry may act at once; it
	// leaves anything else (another claim, an answer) alone.
	Release(ctx context.Context, key, token string) error
}

// Bounds of a Memory store when none are given.
const (
	DefaultMaxEntries = 100_000
	// DefaultMaxBytes bounds the bytes of keys and answers held: large
	// answers (CloudEvents batches) fill it long before the entry count.
	DefaultMaxBytes = 64 << 20
)

// entryOverhead approximates what one entry costs beyond its key and body
// (list element, map slot, entry struct): a flood of tiny answers is
// bounded by bytes too.
const entryOverhead = 160

// Memory is an in-process Store bounded by TTL, by entry count and by
// bytes (keys, answer bodies and a fixed overhead per entry); the oldest
// entries are evicted first. The newest answer is always kept, even when
// it alone is larger than the byte bound.
type Memory struct {
	mu       sync.Mutex
	max      int
	maxBytes int64
	bytes    int64
	now      func() time.Time
	order    *list.List // of *entry, oldest at the front
	byKey    map[string]*list.Element
}

type entry struct {
	key     string
	answer  Answer
	expires time.Time
	size    int64
}

// MemoryOption configures a Memory store.
type MemoryOption func(*Memory)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) { m.now = now }
}

// WithMaxBytes bounds the bytes held (DefaultMaxBytes when n <= 0).
func WithMaxBytes(n int64) MemoryOption {
	return func(m *Memory) {
		if n > 0 {
			m.maxBytes = n
		}
	}
}

// NewMemory returns a store holding at most maxEntries answers
// (DefaultMaxEntries when maxEntries <= 0) and DefaultMaxBytes bytes
// unless WithMaxBytes says otherwise.
func NewMemory(maxEntries int, opts ...MemoryOption) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	m := &Memory{max: maxEntries, maxBytes: DefaultMaxBytes, now: time.Now, order: list.New(), byKey: map[string]*list.Element{}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (Answer, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.byKey[key]
	if !ok {
		return Answer{}, false, nil
	}
	e := el.Value.(*entry)
	if !m.now().Before(e.expires) {
		m.remove(el)
		return Answer{}, false, nil
	}
	return e.answer, true, nil
}

// Put implements Store.
func (m *Memory) Put(_ context.Context, key string, a Answer, ttl time.Duration) error {
	if ttl <= 0 {
		return errors.New("idempotency: ttl must be positive")
	}
	a.Body = compact(a.Body) // before the lock: concurrent Puts compact in parallel
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if el, ok := m.byKey[key]; ok {
		m.remove(el)
	}
	e := &entry{key: key, answer: a, expires: now.Add(ttl), size: int64(len(key)+len(a.Body)) + entryOverhead}
	m.byKey[key] = m.order.PushBack(e)
	m.bytes += e.size
	m.evict(now)
	return nil
}

// compact returns body without insignificant JSON whitespace, in a slice
// of its own: a stored answer never pins a larger buffer it was cut from.
//
// The service's answers come from json.Marshal, compact already: a body
// without a white space byte anywhere is its own compact form (Compact
// only drops white space; an invalid one is kept as it is either way),
// so it is copied without Compact's scan. Otherwise Compact writes into
// the one allocation the copy needs (its output is never longer).
func compact(body json.RawMessage) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	if bytes.IndexAny(body, " \t\r\n") < 0 {
		return bytes.Clone(body)
	}
	b := bytes.NewBuffer(make([]byte, 0, len(body)))
	if json.Compact(b, body) != nil {
		return bytes.Clone(body) // not JSON: keep it as it is
	}
	return b.Bytes()
}

// Bytes returns the bytes the stored answers account for (keys, bodies
// and the per-entry overhead).
func (m *Memory) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Len returns the number of stored answers (expired ones included until
// they are evicted).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

// evict drops expired entries from the front, then the oldest beyond the
// entry or byte bound, never the newest entry.
func (m *Memory) evict(now time.Time) {
	for el := m.order.Front(); el != nil && el != m.order.Back(); el = m.order.Front() {
		if m.order.Len() <= m.max && m.bytes <= m.maxBytes && now.Before(el.Value.(*entry).expires) {
			return
		}
		m.remove(el)
	}
}

func (m *Memory) remove(el *list.Element) {
	e := el.Value.(*entry)
	delete(m.byKey, e.key)
	m.bytes -= e.size
	m.order.Remove(el)
}
