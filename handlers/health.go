package handlers

import (
	"sync"
	"time"

	"github.com/leadhook/leadhook/rules/engine"
)

// DefaultNotReadyFor is how long a failure of ours keeps /readyz not
// ready without a later event confirming it.
const DefaultNotReadyFor = 5 * time.Minute

// health is what /readyz reports about processing: not ready while the
// last outcome was a failure that is ours to fix (credentials, labels,
// configuration), until a later event succeeds. The reason lapses after
// hold without a new failure: a replica taken out of the load balancer
// gets no deliveries, so it could otherwise never prove itself fixed; the
// next failing delivery sets it again.
type health struct {
	now  func() time.Time
	hold time.Duration

	mu     sync.Mutex
	reason string
	since  time.Time
}

// observe records one event's failure (zero Failure: success).
func (h *health) observe(f engine.Failure) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case f.Cause == "":
		h.reason = ""
	case f.Ours:
		h.reason, h.since = f.Message, h.now()
	}
}

func (h *health) get() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.reason != "" && h.now().Sub(h.since) >= h.hold {
		h.reason = ""
	}
	return h.reason
}

// NotReady says why processing is failing for a reason the operator must
// fix ("" when it is not).
func (s *Service) NotReady() string { return s.health.get() }
