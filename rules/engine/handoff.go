package engine

import (
	"slices"
	"sync"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

// maxHandoffs bounds how many deliveries in a row may reuse one search:
// after that many, the next holder of the lock searches Deskera again, so
// an endless stream of one contact's deliveries still sees changes made
// in Deskera.
const maxHandoffs = 256

// burstLinger is how long a burst's contact stays handed over after the
// last of its overlapping deliveries left: a straggler of the burst (one
// more copy of the same form post, a sender's parallel retry) that arrives
// just after the chain drained takes it too instead of searching again.
// Only keys that saw overlapping deliveries linger; a lone delivery leaves
// nothing behind, so spaced deliveries search as before.
const burstLinger = time.Second

// maxLingering bounds the keys lingering at once; the oldest goes first.
const maxLingering = 1024

// handoffs lets the deliveries queued on one contact's lock reuse the
// contact the delivery ahead of them ended with, instead of searching
// Deskera again: a burst of N duplicate deliveries for one new email costs
// one search and one create (and a PATCH only for a delivery that brings
// new data), not N searches. The state of a key lives only while
// deliveries for it overlap, and burstLinger after a burst: then it is
// forgotten, so a later delivery searches as usual. Only the in-memory
// coordinator serialises every delivery for a key through this process;
// with a shared one another replica may change the contact between two
// holders here, so the engine does not hand off then (see
// Engine.Process).
//
// A write this engine makes outside a handoff chain (a delivery by
// contact id, a batch, a bulk change, a sweep) may change a lingering
// contact: it bumps the epoch, and a lingering contact from an older epoch
// is not handed over.
type handoffs struct {
	mu sync.Mutex
	m  map[string]*handoff
	// lingering holds the keys whose last delivery left after a burst,
	// oldest first.
	lingering []lingerer
	epoch     uint64
}

// handoff is the state of one key: the deliveries that joined and have not
// left, and the contact the last holder ended with (valid: it may be used).
type handoff struct {
	joined  int
	peak    int // the most deliveries joined at once since the key was new
	valid   bool
	reused  int
	contact *deskera.Contact
	// until is when a lingering handoff expires (zero: not lingering);
	// epoch, the engine's write epoch when it began to linger.
	until time.Time
	epoch uint64
}

// lingerer is one entry of handoffs.lingering.
type lingerer struct {
	key   string
	s     *handoff
	until time.Time
}

// join registers a delivery for key before it waits for the lock; now is
// the engine's clock.
func (h *handoffs) join(key string, now time.Time) *handoff {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire(now)
	s := entry(&h.m, key)
	if !s.until.IsZero() {
		// A straggler: the lingering contact serves if nothing else wrote
		// since the burst.
		if s.epoch != h.epoch {
			s.valid, s.contact, s.reused = false, nil, 0
		}
		s.until = time.Time{}
	}
	s.joined++
	s.peak = max(s.peak, s.joined)
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

// leave unregisters a delivery. The last one forgets the key, or, after a
// burst that ended with a contact, leaves it lingering for burstLinger.
func (h *handoffs) leave(key string, s *handoff, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire(now)
	if s.joined--; s.joined > 0 || h.m[key] != s {
		return
	}
	if s.peak < 2 || !s.valid {
		delete(h.m, key)
		return
	}
	s.until, s.epoch = now.Add(burstLinger), h.epoch
	h.lingering = append(h.lingering, lingerer{key: key, s: s, until: s.until})
	if len(h.lingering) > maxLingering {
		h.drop(h.lingering[0])
		h.lingering = h.lingering[1:]
	}
}

// wrote records a write made outside a handoff chain: no lingering contact
// is handed over after it.
func (h *handoffs) wrote() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.epoch++
}

// expire forgets the lingering keys whose time is up. Called with h.mu
// held.
func (h *handoffs) expire(now time.Time) {
	n := 0
	for n < len(h.lingering) && !now.Before(h.lingering[n].until) {
		h.drop(h.lingering[n])
		n++
	}
	if n > 0 {
		h.lingering = slices.Delete(h.lingering, 0, n)
	}
}

// drop forgets l's key if it still lingers as l says (a straggler that
// joined since, or a later linger, keeps it). Called with h.mu held.
func (h *handoffs) drop(l lingerer) {
	if h.m[l.key] == l.s && l.s.joined == 0 && l.s.until.Equal(l.until) {
		delete(h.m, l.key)
	}
}

// lingers reports whether key's contact lingers after a burst.
func (h *handoffs) lingers(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.m[key]
	return s != nil && s.joined == 0 && !s.until.IsZero()
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
