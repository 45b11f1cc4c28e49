package engine

import (
	"slices"
	"sync"

	"github.com/leadhook/leadhook/deskera"
)

// maxHandoffs bounds how many deliveries in a row may reuse one search:
// after that many, the next holder of the lock searches Deskera again, so
// an endless stream of one contact's deliveries still sees changes made
// in Deskera.
const maxHandoffs = 256

// handoffs lets the deliveries queued on one contact's lock reuse the
// contact the delivery ahead of them ended with, instead of searching
// Deskera again: a burst of N duplicate deliveries for one new email costs
// one search and one create (and a PATCH only for a delivery that brings
// new data), not N searches. The state of a key lives only while
// deliveries for it overlap: the last one to leave forgets it, so a later
// delivery searches as usual. Only the in-memory coordinator serialises
// every delivery for a key through this process; with a shared one
// another replica may change the contact between two holders here, so
// the engine does not hand off then (see Engine.Process).
type handoffs struct {
	mu sync.Mutex
	m  map[string]*handoff
}

// handoff is the state of one key: the deliveries that joined and have not
// left, and the contact the last holder ended with (valid: it may be used).
type handoff struct {
	joined  int
	valid   bool
	reused  int
	contact *deskera.Contact
}

// join registers a delivery for key before it waits for the lock.
func (h *handoffs) join(key string) *handoff {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := entry(&h.m, key)
	s.joined++
	return s
}

// take returns the contact handed over by the previous holder, if any.
// Called with the key's lock held.
func (h *handoffs) take(s *handoff) (*deskera.Contact, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !s.valid || s.reused >= maxHandoffs {
		s.valid, s.reused = false, 0
		return nil, false
	}
	s.reused++
	return s.contact, true
}

// publish hands c (the contact the holder's plan ended with) to the next
// holder; nil (an error, a deleted contact, no contact) makes it search.
// Called with the key's lock held.
func (h *handoffs) publish(s *handoff, c *deskera.Contact) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c == nil {
		s.valid, s.contact, s.reused = false, nil, 0
		return
	}
	s.valid, s.contact = true, c
}

// leave unregisters a delivery; the last one forgets the key.
func (h *handoffs) leave(key string, s *handoff) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.joined--; s.joined == 0 && h.m[key] == s {
		delete(h.m, key)
	}
}

// waiting is how many deliveries for key have joined and not left.
func (h *handoffs) waiting(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.m[key]; s != nil {
		return s.joined
	}
	return 0
}

// afterWrite is the contact c becomes once Deskera applied dto, as this
// engine wrote it: c (nil: a new contact) with each field dto sets, and
// dto's custom fields, which the engine always sends as the contact's
// whole merged list. It is what a handoff passes on, rather than
// Deskera's reply: the document does not promise that a reply holds every
// field, and a waiter that merged against a partial contact would write
// its gaps back as erasures.
func afterWrite(c *deskera.Contact, dto *deskera.ContactSaveDto) *deskera.Contact {
	next := &deskera.Contact{}
	if c != nil {
		*next = *c
		next.CustomField = slices.Clone(c.CustomField)
		next.SubOwnerIDs = slices.Clone(c.SubOwnerIDs)
	}
	for _, f := range deskera.ContactFields {
		if f.Patch != nil {
			f.Patch(next, dto)
		}
	}
	if len(dto.CustomField) > 0 {
		next.CustomField = slices.Clone(dto.CustomField)
	}
	return next
}
