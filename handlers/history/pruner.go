package history

import (
	"context"
	"log/slog"
	"time"

	"github.com/leadhook/leadhook/internal/ticks"
)

// DefaultPruneEvery is how often leadhook serve prunes.
const DefaultPruneEvery = time.Hour

// RunPruner prunes on every tick until ctx ends or tick is closed (give it
// a time.Ticker's C; tests send ticks by hand). Failures are logged and
// retried at the next tick.
func (s *Store) RunPruner(ctx context.Context, tick <-chan time.Time, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ticks.Run(ctx, tick, func(ctx context.Context) {
		p, err := s.Prune(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("history: prune failed; retrying at the next tick", "err", err.Error())
			}
			return
		}
		if p.Bodies > 0 || p.Records > 0 {
			log.Info("history: pruned", "bodies", p.Bodies, "records", p.Records)
		}
	})
}
