// Package ticks runs a periodic job off a tick channel, the loop that
// the history pruner and the engine's label refresh share.
package ticks

import (
	"context"
	"time"
)

// Run calls do on every tick until ctx ends or tick is closed (give it a
// time.Ticker's C; tests send ticks by hand). do handles its own errors.
func Run(ctx context.Context, tick <-chan time.Time, do func(context.Context)) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-tick:
			if !ok {
				return
			}
			do(ctx)
		}
	}
}
