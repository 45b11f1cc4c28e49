package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers"
)

// TestOverlongDeliveryIDHashed: a delivery id over webhook.MaxDeliveryID is
// hashed, as the formats' own ids are, not refused: the delivery is acted
// on once, its repeat is a replay, and another id sharing its first 256
// bytes is another delivery.
func TestOverlongDeliveryIDHashed(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("k", 300)
	post := func(key, email string) reply {
		t.Helper()
		return h.post("/hooks/api", "application/json", `{"email":"`+email+`"}`,
			map[string]string{"Authorization": "Bearer " + apiToken, "Idempotency-Key": key})
	}
	steps := []struct {
		name, key, email string
		replayed         bool
	}{
		{"first", long + "a", "long1@example.com", false},
		{"repeat", long + "a", "long1@example.com", true},
		{"same first 256 bytes", long + "b", "long2@example.com", false},
	}
	for _, s := range steps {
		r := post(s.key, s.email)
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get(handlers.ReplayHeader) == "true"; got != s.replayed {
			t.Fatalf("%s: replayed %v, want %v", s.name, got, s.replayed)
		}
	}
	if n := len(h.deskera.Contacts()); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
}
