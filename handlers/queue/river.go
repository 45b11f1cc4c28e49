package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/leadhook/leadhook/handlers/history"
)

// riverBackend is a River client over driver TTx.
type riverBackend[TTx any] struct {
	c      *river.Client[TTx]
	countF func(ctx context.Context, states []rivertype.JobState) (int64, error)
	name   string
	tx     txFuncs[TTx]
	// insertTx stores jobs in a transaction: River's InsertManyTx, or
	// the embedded store's own statement (sqliteInsert).
	insertTx func(ctx context.Context, tx TTx, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// txFuncs open, run statements on and end a transaction of driver TTx.
type txFuncs[TTx any] struct {
	begin    func(ctx context.Context) (TTx, error)
	exec     func(tx TTx) history.Exec
	commit   func(ctx context.Context, tx TTx) error
	rollback func(ctx context.Context, tx TTx) error
}

// insertManyThen inserts ps and runs then (when not nil) with the
// results in the same transaction: both commit, or neither.
func (b *riverBackend[TTx]) insertManyThen(ctx context.Context, ps []river.InsertManyParams, then func(history.Exec, []*rivertype.JobInsertResult)) ([]*rivertype.JobInsertResult, error) {
	tx, err := b.tx.begin(ctx)
	if err != nil {
		return nil, err
	}
	insert := b.insertTx
	if insert == nil {
		insert = b.c.InsertManyTx
	}
	res, err := insert(ctx, tx, ps)
	if err != nil {
		_ = b.tx.rollback(context.WithoutCancel(ctx), tx)
		return nil, err
	}
	if then != nil {
		then(b.tx.exec(tx), res)
	}
	if err := b.tx.commit(ctx, tx); err != nil {
		_ = b.tx.rollback(context.WithoutCancel(ctx), tx)
		return nil, err
	}
	return res, nil
}

func (b *riverBackend[TTx]) insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return b.c.Insert(ctx, args, opts)
}

func (b *riverBackend[TTx]) insertMany(ctx context.Context, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return b.insertManyThen(ctx, ps, nil)
}

func (b *riverBackend[TTx]) list(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error) {
	return b.c.JobList(ctx, p)
}

func (b *riverBackend[TTx]) delete(ctx context.Context, id int64) error {
	_, err := b.c.JobDelete(ctx, id)
	return err
}

func (b *riverBackend[TTx]) start(ctx context.Context) error { return b.c.Start(ctx) }
func (b *riverBackend[TTx]) stop(ctx context.Context) error  { return b.c.Stop(ctx) }
func (b *riverBackend[TTx]) kind() string                    { return b.name }
func (b *riverBackend[TTx]) count(ctx context.Context, states []rivertype.JobState) (int64, error) {
	return b.countF(ctx, states)
}

// newRiver migrates the schema and builds the client.
func newRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], opts Options, w *worker, pollOnly bool) (*river.Client[TTx], error) {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: riverLogger(opts.Logger)})
	if err != nil {
		return nil, err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return nil, err
	}
	qc := river.QueueConfig{MaxWorkers: opts.Workers}
	qc.FetchPollInterval, qc.FetchCooldown = fetchTiming(opts.PollInterval, pollOnly)
	cfg := &river.Config{
		Workers:                     workers,
		JobTimeout:                  opts.JobTimeout,
		RescueStuckJobsAfter:        opts.RescueAfter,
		MaxAttempts:                 maxAttempts,
		RetryPolicy:                 retryPolicy{now: opts.Now},
		CompletedJobRetentionPeriod: opts.Retention,
		// Dead letters stay until retried or deleted by hand.
		CancelledJobRetentionPeriod: -1,
		DiscardedJobRetentionPeriod: -1,
		Logger:                      riverLogger(opts.Logger),
		PollOnly:                    pollOnly,
		SoftStopTimeout:             opts.SoftStop,
	}
	if !opts.ClientOnly {
		cfg.Queues = map[string]river.QueueConfig{queueName: qc}
	}
	cfg.FetchPollInterval, cfg.FetchCooldown = qc.FetchPollInterval, qc.FetchCooldown
	if opts.clockSet {
		cfg.Test.Time = clock(opts.Now)
	}
	return river.NewClient(driver, cfg)
}

// Fetch timing of the embedded store's workers (see fetchTiming).
const (
	pollOnlyInterval = 100 * time.Millisecond
	pollOnlyCooldown = 5 * time.Millisecond
)

// fetchTiming is how often River's workers look for jobs (poll) and the
// least time between two looks (cooldown); zeros are River's defaults
// (1s, 100ms). Given a poll interval, the cooldown is at most 100ms.
//
// The embedded store has no notifications, and River wakes its workers
// after an insert only for its own non-transactional inserts, which the
// intake does not use: they find new jobs by polling, and look again as
// soon as a slot frees after a full fetch, but not within the cooldown.
// River's 100ms cooldown capped a drain at 10 workers / 100ms = 100
// deliveries/s (issue 18: 1,000/s), its 1s poll delayed a delivery's
// first attempt up to 1s: 5ms and 100ms instead (a fetch that finds
// nothing reads one index page and writes nothing). 5ms caps 10 workers
// at 2,000/s; a shorter cooldown fetches fewer jobs per fetch, each
// fetch costing the same (2ms: a fifth more CPU per drained delivery).
func fetchTiming(poll time.Duration, pollOnly bool) (interval, cooldown time.Duration) {
	switch {
	case poll > 0:
		return poll, min(poll, 100*time.Millisecond)
	case pollOnly:
		return pollOnlyInterval, pollOnlyCooldown
	}
	return 0, 0
}

// riverLogger passes River's warnings and errors on.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{l.Handler(), slog.LevelWarn}).With("component", "river")
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(a), m.min}
}

func (m minLevel) WithGroup(g string) slog.Handler { return minLevel{m.Handler.WithGroup(g), m.min} }

// clock makes an injected clock River's (rivertype.TimeGenerator).
type clock func() time.Time

func (c clock) Now() time.Time { return c() }
func (c clock) NowOrNil() *time.Time {
	t := c().UTC()
	return &t
}
