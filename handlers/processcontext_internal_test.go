package handlers

import (
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/deadlinetest"
)

// TestProcessContext: the processing outlives the sender's disconnect,
// and its deadline is the sooner of the process timeout and the
// request's own.
func TestProcessContext(t *testing.T) {
	const timeout = time.Minute
	for _, tc := range deadlinetest.Cases(timeout) {
		t.Run(tc.Name, func(t *testing.T) {
			start := time.Now()
			parent, cancelParent := deadlinetest.Parent(tc.Parent)
			ctx, cancel := processContext(parent, timeout)
			defer cancel()
			deadlinetest.Check(t, ctx, start, tc.Want)
			cancelParent()
			if err := ctx.Err(); err != nil {
				t.Errorf("the sender's disconnect ended the processing: %v", err)
			}
			cancel()
			if ctx.Err() == nil {
				t.Error("cancel did not end the processing")
			}
		})
	}
}
