package handlers

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// children caches a metric vector's children by their label values: the
// hot path finds a child with one map read under a read lock, where
// WithLabelValues builds (and lets escape) a label slice on every call.
// Label values are bounded (see Metrics), so the cache is too.
type children[K comparable, M any] struct {
	mu   sync.RWMutex
	m    map[K]M
	make func(K) M // the child for k (WithLabelValues once)
}

func newChildren[K comparable, M any](make func(K) M) *children[K, M] {
	return &children[K, M]{m: map[K]M{}, make: make}
}

// get returns k's child, creating it on first use.
func (c *children[K, M]) get(k K) M {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok = c.m[k]; !ok {
		v = c.make(k)
		c.m[k] = v
	}
	return v
}

type routeKey struct {
	route, method string
	code          int
}

type pair struct{ a, b string }

type opStatus struct {
	op     string
	status int
}

// hotChildren are the children the request path uses.
type hotChildren struct {
	httpRequests    *children[routeKey, prometheus.Counter]
	httpDuration    *children[pair, prometheus.Observer]
	events          *children[pair, prometheus.Counter]
	rulesMatched    *children[string, prometheus.Counter]
	actions         *children[pair, prometheus.Counter]
	deskeraRequests *children[opStatus, prometheus.Counter]
	deskeraDuration *children[string, prometheus.Observer]
	delivery        *children[string, prometheus.Observer]
}

func (m *Metrics) cacheChildren() {
	m.hot = hotChildren{
		httpRequests: newChildren(func(k routeKey) prometheus.Counter {
			return m.httpRequests.WithLabelValues(k.route, k.method, strconv.Itoa(k.code))
		}),
		httpDuration: newChildren(func(k pair) prometheus.Observer { return m.httpDuration.WithLabelValues(k.a, k.b) }),
		events:       newChildren(func(k pair) prometheus.Counter { return m.events.WithLabelValues(k.a, k.b) }),
		rulesMatched: newChildren(func(k string) prometheus.Counter { return m.rulesMatched.WithLabelValues(k) }),
		actions:      newChildren(func(k pair) prometheus.Counter { return m.actions.WithLabelValues(k.a, k.b) }),
		deskeraRequests: newChildren(func(k opStatus) prometheus.Counter {
			code := strconv.Itoa(k.status)
			if k.status == 0 {
				code = "error"
			}
			return m.deskeraRequests.WithLabelValues(k.op, code)
		}),
		deskeraDuration: newChildren(func(k string) prometheus.Observer { return m.deskeraDuration.WithLabelValues(k) }),
		delivery:        newChildren(func(k string) prometheus.Observer { return m.deliveryDuration.WithLabelValues(k) }),
	}
}
