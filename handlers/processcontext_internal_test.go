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
	tests := []struct {
		name   string
		parent time.Duration // the request's deadline from now (0: none)
		want   time.Duration // the processing's deadline from now
	}{
		{name: "no request deadline", want: timeout},
		{name: "a sooner request deadline", parent: time.Second, want: time.Second},
		{name: "a later request deadline", parent: time.Hour, want: timeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			parent, cancelParent := deadlinetest.Parent(tc.parent)
			ctx, cancel := processContext(parent, timeout)
			defer cancel()
			deadlinetest.Check(t, ctx, start, tc.want)
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
