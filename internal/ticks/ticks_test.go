package ticks

import (
	"context"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		stop func(cancel context.CancelFunc, tick chan time.Time)
	}{
		{name: "closed tick", stop: func(_ context.CancelFunc, tick chan time.Time) { close(tick) }},
		{name: "context ended", stop: func(cancel context.CancelFunc, _ chan time.Time) { cancel() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			tick := make(chan time.Time)
			calls := make(chan struct{}, 2)
			done := make(chan struct{})
			go func() {
				defer close(done)
				Run(ctx, tick, func(context.Context) { calls <- struct{}{} })
			}()
			tick <- time.Time{}
			tick <- time.Time{}
			tt.stop(cancel, tick)
			<-done
			if got := len(calls); got != 2 {
				t.Fatalf("do ran %d times, want 2", got)
			}
		})
	}
}
