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
	c := &Client{timeout: timeout}
	for _, tc := range deadlinetest.Cases(timeout) {
		t.Run(tc.Name, func(t *testing.T) {
			start := time.Now()
			parent, cancelParent := deadlinetest.Parent(tc.Parent)
			defer cancelParent()
			ctx, cancel := c.attemptContext(parent)
			deadlinetest.Check(t, ctx, start, tc.Want)
			same := tc.Want == tc.Parent // the caller's deadline is the sooner
			if (ctx == parent) != same {
				t.Errorf("the caller's context serves: %v, want %v", ctx == parent, same)
			}
			cancelParent()
			if ctx.Err() == nil {
				t.Error("the caller's cancellation did not end the attempt")
			}
			cancel()
		})
	}
}
