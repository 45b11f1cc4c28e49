package deskera

import (
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/deadlinetest"
)

// TestAttemptContext: an attempt ends at the client's timeout, or at the
// caller's deadline when that comes first (then the caller's context
// itself serves).
func TestAttemptContext(t *testing.T) {
	const timeout = time.Minute
	tests := []struct {
		name   string
		parent time.Duration // the caller's deadline from now (0: none)
		want   time.Duration
		same   bool // the caller's context is the attempt's
	}{
		{name: "no caller deadline", want: timeout},
		{name: "a later caller deadline", parent: time.Hour, want: timeout},
		{name: "a sooner caller deadline", parent: time.Second, want: time.Second, same: true},
	}
	c := &Client{timeout: timeout}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			parent, cancelParent := deadlinetest.Parent(tc.parent)
			defer cancelParent()
			ctx, cancel := c.attemptContext(parent)
			deadlinetest.Check(t, ctx, start, tc.want)
			if (ctx == parent) != tc.same {
				t.Errorf("the caller's context serves: %v, want %v", ctx == parent, tc.same)
			}
			cancelParent()
			if ctx.Err() == nil {
				t.Error("the caller's cancellation did not end the attempt")
			}
			cancel()
		})
	}
}
