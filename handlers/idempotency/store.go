package idempotency

import (
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

// DefaultMaxEntries bounds a Memory store when no size is given.
const DefaultMaxEntries = 100_000

// Memory is an in-process Store bounded by TTL and by entry count (the
// oldest entries are evicted first).
type Memory struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	order *list.List // of *entry, oldest at the front
	byKey map[string]*list.Element
}

type entry struct {
	key     string
	answer  Answer
	expires time.Time
}

// MemoryOption configures a Memory store.
type MemoryOption func(*Memory)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) { m.now = now }
}

// NewMemory returns a store holding at most maxEntries answers
// (DefaultMaxEntries when maxEntries <= 0).
func NewMemory(maxEntries int, opts ...MemoryOption) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	m := &Memory{max: maxEntries, now: time.Now, order: list.New(), byKey: map[string]*list.Element{}}
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
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if el, ok := m.byKey[key]; ok {
		m.remove(el)
	}
	m.byKey[key] = m.order.PushBack(&entry{key: key, answer: a, expires: now.Add(ttl)})
	m.evict(now)
	return nil
}

// Len returns the number of stored answers (expired ones included until
// they are evicted).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

// evict drops expired entries from the front, then the oldest beyond max.
func (m *Memory) evict(now time.Time) {
	for el := m.order.Front(); el != nil; el = m.order.Front() {
		if m.order.Len() <= m.max && now.Before(el.Value.(*entry).expires) {
			return
		}
		m.remove(el)
	}
}

func (m *Memory) remove(el *list.Element) {
	delete(m.byKey, el.Value.(*entry).key)
	m.order.Remove(el)
}
