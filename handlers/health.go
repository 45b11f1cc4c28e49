package handlers

import (
	"sync"

	"github.com/leadhook/leadhook/rules"
)

// health is what /readyz reports about processing: not ready while the
// last outcome was a failure that is ours to fix (credentials, labels,
// configuration), until a later event succeeds.
type health struct {
	mu     sync.Mutex
	reason string
}

// observe records one event's failure (zero Failure: success).
func (h *health) observe(f rules.Failure) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case f.Cause == "":
		h.reason = ""
	case f.Ours:
		h.reason = f.Message
	}
}

func (h *health) get() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reason
}

// NotReady says why processing is failing for a reason the operator must
// fix ("" when it is not).
func (s *Service) NotReady() string { return s.health.get() }
