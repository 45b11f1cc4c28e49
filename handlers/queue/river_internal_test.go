package queue

import (
	"testing"
	"time"
)

// TestFetchTiming: the embedded store's workers poll every 100ms and may
// fetch again 5ms after a fetch (a drain of 10 workers is not capped at
// River's 10 per 100ms); a poll interval given sets both; PostgreSQL
// keeps River's defaults (its workers are notified of inserts).
func TestFetchTiming(t *testing.T) {
	tests := []struct {
		name                   string
		poll                   time.Duration
		pollOnly               bool
		wantPoll, wantCooldown time.Duration
	}{
		{"embedded store", 0, true, 100 * time.Millisecond, 5 * time.Millisecond},
		{"postgres", 0, false, 0, 0},
		{"given, short", 10 * time.Millisecond, true, 10 * time.Millisecond, 10 * time.Millisecond},
		{"given, long", 5 * time.Second, false, 5 * time.Second, 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			poll, cooldown := fetchTiming(tc.poll, tc.pollOnly)
			if poll != tc.wantPoll || cooldown != tc.wantCooldown {
				t.Errorf("fetchTiming(%s, %v) = %s, %s; want %s, %s", tc.poll, tc.pollOnly, poll, cooldown, tc.wantPoll, tc.wantCooldown)
			}
		})
	}
}
