//go:build !leadhook.lambda

package main

import (
	"context"
	"os"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/queue"
)

// queueStore is the store of queued deliveries the server build opens
// (River on PostgreSQL or the embedded SQLite file); the Lambda build has
// none (queue_lambda.go): there queued deliveries go to SQS.
type queueStore = queue.Queue

// queueOptions are the store's options from the configuration.
func (c *Config) queueOptions() queue.Options {
	return queue.Options{
		URL: c.StoreURL, DataDir: c.DataDir, Workers: c.QueueWorkers, MaxAge: c.QueueMaxAge,
		JobTimeout: c.QueueJobTimeout, RescueAfter: c.QueueRescueAfter, Retention: c.DedupeTTL,
		// Running attempts get half the shutdown; the rest are cut short
		// and made available again for the next start (or replica).
		SoftStop: c.ShutdownTimeout / 2,
		Fsync:    c.StoreFsync,
	}
}

// openQueue opens the delivery store when a source is queued: the
// PostgreSQL of LEADHOOK_STORE_URL, else leadhook.db under
// LEADHOOK_DATA_DIR, else (loudly) under a temporary directory.
func (a *app) openQueue(ctx context.Context, m *handlers.Metrics) (*queueStore, error) {
	if !hasQueued(a.set) {
		return nil, nil
	}
	opts := a.cfg.queueOptions()
	opts.Logger = a.log
	if opts.URL == "" && opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "leadhook-data-")
		if err != nil {
			return nil, err
		}
		opts.DataDir = dir
		a.log.Warn("queued deliveries are stored in a temporary directory and lost when it is removed; set LEADHOOK_DATA_DIR (or LEADHOOK_STORE_URL for several replicas)",
			"data_dir", dir)
	}
	q, err := queue.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := m.Registry.Register(q.Metrics()); err != nil {
		q.Close()
		return nil, err
	}
	where := "embedded: " + queue.DataFile(opts.DataDir)
	if opts.URL != "" {
		where = "postgres"
	}
	a.log.Info("delivery store open", "store", where, "workers", opts.Workers, "max_age", opts.MaxAge.String())
	return q, nil
}

func (a *app) startQueue(ctx context.Context) error {
	if a.queue == nil {
		return nil
	}
	return a.queue.Start(ctx)
}

// stopQueue lets running attempts finish (bounded by the shutdown
// timeout); what is left stays stored for the next start.
func (a *app) stopQueue() {
	if a.queue == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.queue.Stop(ctx); err != nil {
		a.log.Warn("queued deliveries' workers stopped before their attempts ended; those run again at the next start", "err", err.Error())
	}
}

func (a *app) closeQueue() {
	if a.queue != nil {
		a.queue.Close()
	}
}

// queueHistory is the history on the queue's own database handle: one
// SQLite file with one connection pool (or one PostgreSQL pool), so that
// the history's writes and the queue's commits do not contend as two
// writers of one file.
func (a *app) queueHistory(ctx context.Context) *history.Store {
	qs := a.queue.Store()
	st, err := a.queue.History(ctx, a.cfg.historyOptions()...)
	if err != nil {
		a.log.Error("delivery history is off: its tables could not be made in the delivery store", "store", qs.Dialect, "err", err.Error())
		return nil
	}
	a.log.Info("delivery history", "store", qs.Dialect+" (the delivery store)", "body_retention", a.cfg.HistoryBodyRetention.String(),
		"retention", a.cfg.HistoryRetention.String())
	return st
}
