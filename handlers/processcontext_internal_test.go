package handlers

import (
	"context"
	"testing"
	"time"
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
			parent, cancelParent := context.WithCancel(context.Background())
			if tc.parent > 0 {
				parent, cancelParent = context.WithTimeout(context.Background(), tc.parent)
			}
			ctx, cancel := processContext(parent, timeout)
			defer cancel()
			dl, ok := ctx.Deadline()
			if !ok || dl.Before(start.Add(tc.want)) || dl.After(time.Now().Add(tc.want)) {
				t.Errorf("deadline in %v (set %v), want %v", time.Until(dl), ok, tc.want)
			}
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
