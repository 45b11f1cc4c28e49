package engine

import (
	"strconv"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

// linger makes key's handoff linger, as a burst of two that ended with a
// contact leaves it, at now.
func linger(h *handoffs, key string, now time.Time) {
	a, b := h.join(key, now), h.join(key, now)
	h.publish(a, &deskera.Contact{ID: 7})
	h.leave(key, a, now)
	h.leave(key, b, now)
}

func TestLingeringIsBounded(t *testing.T) {
	var h handoffs
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range maxLingering + 10 {
		linger(&h, "k"+strconv.Itoa(i), now)
	}
	if len(h.m) != maxLingering || len(h.lingering) != maxLingering {
		t.Fatalf("%d keys kept, %d lingering; want %d", len(h.m), len(h.lingering), maxLingering)
	}
	if h.lingers("k0") || !h.lingers("k"+strconv.Itoa(maxLingering+9)) {
		t.Error("the oldest keys should go first")
	}
}

func TestStragglerRenewsTheLinger(t *testing.T) {
	var h handoffs
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	linger(&h, "k", now)
	// A straggler half-way through takes the contact and leaves: the key
	// lingers from then on, and the first linger's expiry does not drop it.
	now = now.Add(burstLinger / 2)
	s := h.join("k", now)
	if c, ok := h.take(s); !ok || c.ID != 7 {
		t.Fatalf("take = %v, %v; want the lingering contact", c, ok)
	}
	h.leave("k", s, now)
	now = now.Add(burstLinger/2 + time.Millisecond)
	h.expire(now)
	if !h.lingers("k") {
		t.Fatal("the renewed linger was dropped by the first one's expiry")
	}
	h.expire(now.Add(burstLinger))
	if h.lingers("k") || len(h.m) != 0 || len(h.lingering) != 0 {
		t.Errorf("after both expiries: %d keys, %d lingering", len(h.m), len(h.lingering))
	}
}

func TestFailedBurstDoesNotLinger(t *testing.T) {
	var h handoffs
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	a, b := h.join("k", now), h.join("k", now)
	h.publish(a, nil) // the holder failed
	h.leave("k", a, now)
	h.leave("k", b, now)
	if h.lingers("k") || len(h.m) != 0 {
		t.Error("a burst that ended without a contact lingers")
	}
}
