package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/internal/groupcommit"
)

// Defaults for Options.
const (
	DefaultMaxAge      = 72 * time.Hour
	DefaultWorkers     = 10
	DefaultJobTimeout  = time.Minute
	DefaultRescueAfter = 15 * time.Minute
	DefaultRetention   = 24 * time.Hour
	// FileName is the embedded store's file under the data directory.
	FileName = "leadhook.db"
)

// Kind is the River job kind of a queued delivery.
const Kind = "leadhook_delivery"

// queueName is the River queue the deliveries go to.
const queueName = river.QueueDefault

// Processor runs a queued delivery; *handlers.Service implements it.
type Processor interface {
	ProcessQueued(ctx context.Context, d *handlers.QueuedDelivery) handlers.QueuedResult
}

// Options configure Open.
type Options struct {
	// URL names a PostgreSQL database (postgres:// or postgresql://),
	// shared by replicas. Empty: the embedded SQLite file in DataDir.
	URL string
	// DataDir holds FileName when URL is empty (required then).
	DataDir string
	// Workers is how many deliveries this process works at once
	// (DefaultWorkers).
	Workers int
	// MaxAge is how long a delivery is retried before it is dead-lettered
	// (DefaultMaxAge).
	MaxAge time.Duration
	// JobTimeout bounds one attempt (DefaultJobTimeout).
	JobTimeout time.Duration
	// RescueAfter is when a job still running (its worker died) is handed
	// to another worker (DefaultRescueAfter; more than JobTimeout).
	RescueAfter time.Duration
	// Retention is how long a done delivery's job is kept, so that a
	// repeat of its delivery id is not stored again (DefaultRetention;
	// set it to the dedupe TTL).
	Retention time.Duration
	// PollInterval is how often workers look for jobs besides the
	// notifications of new ones (River's default, 1s, when 0).
	PollInterval time.Duration
	// Logger; River's own lines go to it at warn level and above.
	Logger *slog.Logger
	// Now is the clock (time.Now). Tests set it; River runs on it too.
	Now func() time.Time
	// MinPause and MaxPause bound the shared pause when Deskera is down
	// (1s and 1m).
	MinPause, MaxPause time.Duration

	// SoftStop is how long Stop lets running attempts finish before it
	// cancels them (they are then made available again, no attempt
	// used); 0: 10s.
	SoftStop time.Duration

	// Fsync makes the embedded store sync every commit to disk
	// (synchronous=FULL): a 202 then survives power loss. Without it
	// (synchronous=NORMAL, WAL) a commit is in the WAL file, which the OS
	// keeps across a crash of the process (kill -9, OOM kill), and is
	// synced at the next checkpoint: only an OS crash or power loss can
	// lose the last commits.
	Fsync bool

	// ClientOnly opens the store to look and act on its jobs (RetryDead,
	// Stats) beside a running server: no workers, no lock on the
	// embedded file, no rescue of its running jobs.
	ClientOnly bool

	clockSet bool // Now was given: River runs on it too
}

// Queue is the durable store of queued deliveries and its workers.
type Queue struct {
	b       backend
	opts    Options
	log     *slog.Logger
	gate    *Gate
	metrics *Metrics
	closer  func()
	store   Store
	batch   *groupcommit.Batcher[river.InsertManyParams, *rivertype.JobInsertResult]
	proc    atomic.Pointer[Processor]
	hist    atomic.Pointer[history.Store] // see History

	mu      sync.Mutex
	started bool
}

// backend is the River client over one driver (SQLite or pgx).
type backend interface {
	insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	insertMany(ctx context.Context, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	insertManyThen(ctx context.Context, ps []river.InsertManyParams, then func(history.Exec, []*rivertype.JobInsertResult)) ([]*rivertype.JobInsertResult, error)
	list(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error)
	delete(ctx context.Context, id int64) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	count(ctx context.Context, states []rivertype.JobState) (int64, error)
	kind() string
}

// Open opens (creating and migrating) the store named by opts. Workers
// start with Start; proc runs the deliveries and may be set later with
// SetProcessor, before Start (the service needs the queue first).
func Open(ctx context.Context, opts Options) (*Queue, error) {
	opts = withDefaults(opts)
	if opts.RescueAfter <= opts.JobTimeout {
		return nil, fmt.Errorf("queue: rescue-after %s must be longer than the job timeout %s", opts.RescueAfter, opts.JobTimeout)
	}
	q := &Queue{opts: opts, log: opts.Logger, gate: NewGate(opts.Now, opts.MinPause, opts.MaxPause)}
	q.metrics = newMetrics(q)
	w := &worker{q: q}
	var err error
	switch {
	case opts.URL == "":
		if opts.DataDir == "" {
			return nil, errors.New("queue: no data directory for the embedded store (set --data-dir/LEADHOOK_DATA_DIR, or LEADHOOK_STORE_URL)")
		}
		q.b, q.store, q.closer, err = openSQLite(ctx, opts.DataDir, opts, w)
	case isPostgres(opts.URL):
		q.b, q.store, q.closer, err = openPostgres(ctx, opts.URL, opts, w)
	default:
		return nil, fmt.Errorf("queue: store URL scheme %q is not postgres:// (leave it empty for the embedded store)", scheme(opts.URL))
	}
	if err != nil {
		return nil, err
	}
	// One transaction (one fsync on the embedded store with Fsync) for
	// every delivery that arrived while the previous commit ran.
	batch, err := groupcommit.New(q.insertBatch, groupcommit.DefaultMax, groupcommit.DefaultLinger)
	if err != nil {
		q.closer()
		return nil, err
	}
	q.batch = batch
	return q, nil
}

// History returns the delivery history on the queue's own database
// handle (one SQLite file, one connection pool, or one PostgreSQL pool),
// creating its tables. From then on a queued delivery's first record
// (QueuedDelivery.Record) commits with its job, and each attempt the
// workers end without success sets the record's outcome and next
// attempt.
func (q *Queue) History(ctx context.Context, opts ...history.Option) (*history.Store, error) {
	h, err := history.New(ctx, q.store.DB, history.Dialect(q.store.Dialect), opts...)
	if err != nil {
		return nil, err
	}
	q.hist.Store(h)
	return h, nil
}

// insertBatch commits a group of jobs and, with a history, the first
// records of the deliveries stored (not of duplicates) in the same
// transaction. The records are behind a savepoint: one that fails to be
// written is logged and leaves the jobs stored (a history write never
// fails a delivery).
func (q *Queue) insertBatch(ctx context.Context, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	h := q.hist.Load()
	if h == nil {
		return q.b.insertMany(ctx, ps)
	}
	return q.b.insertManyThen(ctx, ps, func(exec history.Exec, res []*rivertype.JobInsertResult) {
		if err := exec(ctx, "SAVEPOINT leadhook_history"); err != nil {
			q.log.Error("delivery history not written for queued deliveries; they are stored", "err", err.Error())
			return
		}
		var failed error
		for i, r := range res {
			rec := ps[i].Args.(deliveryArgs).Delivery.Record
			if rec == nil || r.UniqueSkippedAsDuplicate {
				continue
			}
			if failed = h.RecordOn(ctx, exec, rec); failed != nil {
				break
			}
		}
		if failed != nil {
			q.log.Error("delivery history not written for queued deliveries; they are stored", "err", handlers.MaskEmails(failed.Error()))
			_ = exec(ctx, "ROLLBACK TO SAVEPOINT leadhook_history")
		}
		_ = exec(ctx, "RELEASE SAVEPOINT leadhook_history")
	})
}

// errClosed is Enqueue's error after Close.
var errClosed = errors.New("queue: closed")

func withDefaults(o Options) Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = DefaultJobTimeout
	}
	if o.RescueAfter <= 0 {
		o.RescueAfter = max(DefaultRescueAfter, 2*o.JobTimeout)
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	} else {
		o.clockSet = true
	}
	if o.SoftStop <= 0 {
		o.SoftStop = 10 * time.Second
	}
	if o.MinPause <= 0 {
		o.MinPause = time.Second
	}
	if o.MaxPause <= 0 {
		o.MaxPause = time.Minute
	}
	return o
}

func isPostgres(u string) bool {
	s := scheme(u)
	return s == "postgres" || s == "postgresql"
}

// scheme is the URL's scheme, never its credentials.
func scheme(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Scheme
	}
	s, _, _ := strings.Cut(u, ":")
	return s
}

// SetProcessor sets what runs the deliveries (before Start).
func (q *Queue) SetProcessor(p Processor) { q.proc.Store(&p) }

// Start starts the workers; ctx ends them (a soft stop, as Stop).
func (q *Queue) Start(ctx context.Context) error {
	if q.proc.Load() == nil {
		return errors.New("queue: no processor")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return nil
	}
	if err := q.b.start(ctx); err != nil {
		return fmt.Errorf("queue: starting workers: %w", err)
	}
	q.started = true
	return nil
}

// Stop lets running attempts finish (until ctx ends) and stops the
// workers; unfinished jobs stay stored for the next start.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.started {
		return nil
	}
	q.started = false
	return q.b.stop(ctx)
}

// Close releases the store (after Stop).
func (q *Queue) Close() {
	if q.batch != nil {
		q.batch.Close()
	}
	if q.closer != nil {
		q.closer()
	}
}

// Gate is the shared pause of CRM intake.
func (q *Queue) Gate() *Gate { return q.gate }

// Metrics are the queue's Prometheus collectors.
func (q *Queue) Metrics() *Metrics { return q.metrics }

// Enqueue stores d; a repeat of a non-empty (source, delivery id) whose
// job is not dead-lettered is a duplicate and stores nothing.
func (q *Queue) Enqueue(ctx context.Context, d *handlers.QueuedDelivery) (bool, error) {
	res, err := q.batch.Do(ctx, river.InsertManyParams{Args: deliveryArgs{Source: d.Source, DeliveryID: d.DeliveryID, Delivery: d}, InsertOpts: q.insertOpts(d)})
	if errors.Is(err, groupcommit.ErrClosed) {
		err = errClosed
	}
	if err != nil {
		return false, fmt.Errorf("queue: %w", err)
	}
	return res.UniqueSkippedAsDuplicate, nil
}

func (q *Queue) insertOpts(d *handlers.QueuedDelivery) *river.InsertOpts {
	o := &river.InsertOpts{Queue: queueName, Tags: []string{sourceTag(d.Source)}, MaxAttempts: maxAttempts}
	if d.DeliveryID != "" {
		o.UniqueOpts = river.UniqueOpts{ByArgs: true}
	}
	return o
}

// maxAttempts is high on purpose: the maximum age, not a count, ends the
// retries (a 10-hour outage with a 1-minute pause is 600 attempts).
const maxAttempts = 100000

// sourceTag is the job tag naming the source (source names are
// lowercase letters, digits, '-' and '_', which tags allow).
func sourceTag(source string) string { return "src_" + source }

// deadStates are the states of dead-lettered jobs.
var deadStates = []rivertype.JobState{rivertype.JobStateCancelled, rivertype.JobStateDiscarded}

// queuedStates are the states of jobs still to do.
var queuedStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// RetryDead puts the dead-lettered deliveries (of source, or all when
// empty) back in the queue as new jobs, whose maximum age starts now,
// and deletes the dead ones. It returns how many it put back.
func (q *Queue) RetryDead(ctx context.Context, source string) (int, error) {
	n := 0
	for {
		p := river.NewJobListParams().Kinds(Kind).States(deadStates...).First(100).OrderBy(river.JobListOrderByID, river.SortOrderAsc)
		if source != "" {
			p = p.TagsAny(sourceTag(source))
		}
		res, err := q.b.list(ctx, p)
		if err != nil {
			return n, fmt.Errorf("queue: listing dead letters: %w", err)
		}
		if len(res.Jobs) == 0 {
			return n, nil
		}
		for _, j := range res.Jobs {
			args, err := decodeArgs(j)
			if err != nil {
				return n, fmt.Errorf("queue: dead letter %d: %w", j.ID, err)
			}
			args.Retried++
			// Insert first: a crash between the two leaves the dead row,
			// and a second RetryDead finds the new job and only deletes.
			if _, err := q.b.insert(ctx, args, q.insertOpts(args.Delivery)); err != nil {
				return n, fmt.Errorf("queue: re-queueing dead letter %d: %w", j.ID, err)
			}
			if err := q.b.delete(ctx, j.ID); err != nil {
				return n, fmt.Errorf("queue: deleting dead letter %d: %w", j.ID, err)
			}
			if h := q.hist.Load(); h != nil && args.Delivery.RecordID != "" {
				if err := h.Schedule(ctx, args.Delivery.RecordID, history.OutcomeQueued, nil); err != nil {
					q.log.Warn("delivery history: retry not recorded", "source", args.Source, "id", args.DeliveryID, "err", err.Error())
				}
			}
			n++
			q.log.Info("dead-lettered delivery queued again", "source", args.Source, "id", args.DeliveryID, "job", j.ID)
		}
	}
}

// Stats is the queue's state for metrics and /readyz.
type Stats struct {
	// Queued counts deliveries still to do (waiting, retrying, running).
	Queued int64
	// OldestQueued is the age of the oldest of them (0 when none).
	OldestQueued time.Duration
	// Dead counts dead-lettered deliveries.
	Dead int64
}

// Stats reads the queue's counts.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	var err error
	if s.Queued, err = q.b.count(ctx, queuedStates); err != nil {
		return s, fmt.Errorf("queue: %w", err)
	}
	if s.Dead, err = q.b.count(ctx, deadStates); err != nil {
		return s, fmt.Errorf("queue: %w", err)
	}
	if s.Queued > 0 {
		res, err := q.b.list(ctx, river.NewJobListParams().Kinds(Kind).States(queuedStates...).First(1).OrderBy(river.JobListOrderByID, river.SortOrderAsc))
		if err != nil {
			return s, fmt.Errorf("queue: %w", err)
		}
		if len(res.Jobs) == 1 {
			s.OldestQueued = max(0, q.opts.Now().Sub(res.Jobs[0].CreatedAt))
		}
	}
	return s, nil
}

// Store is the database the queue lives in, for other packages that
// keep their records beside it (the delivery history): DB is a
// database/sql handle on it either way (the embedded SQLite file, or
// pgx's stdlib over the same pool for PostgreSQL), Pool the pgx pool
// (PostgreSQL only), Dialect "sqlite" or "postgres". The queue owns
// them: they close with Close.
type Store struct {
	DB      *sql.DB
	Pool    *pgxpool.Pool
	Dialect string
}

// Store returns the queue's database handles.
func (q *Queue) Store() Store { return q.store }

// DataFile is where the embedded store lives under dir.
func DataFile(dir string) string { return filepath.Join(dir, FileName) }

// ensureDir creates the data directory (0700: it holds lead data).
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("queue: data directory: %w", err)
	}
	return nil
}
