package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
)

// deliveryArgs is the job: the delivery, unique by source and id.
type deliveryArgs struct {
	Source     string `json:"source" river:"unique"`
	DeliveryID string `json:"delivery_id" river:"unique"`
	// Retried counts the times it came back from the dead letters.
	Retried  int                      `json:"retried,omitempty"`
	Delivery *handlers.QueuedDelivery `json:"delivery"`
}

func (deliveryArgs) Kind() string { return Kind }

func decodeArgs(j *rivertype.JobRow) (deliveryArgs, error) {
	var a deliveryArgs
	if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
		return a, fmt.Errorf("undecodable job args: %w", err)
	}
	if a.Delivery == nil {
		return a, errors.New("job args without a delivery")
	}
	return a, nil
}

// worker runs one job through the processor, behind the gate.
type worker struct {
	river.WorkerDefaults[deliveryArgs]
	q *Queue
	// next holds the retry time a failed Work chose, for NextRetry
	// (called by River right after Work returns, in this process).
	next sync.Map // job id -> time.Time
}

// ErrDeadLetter marks the error of a dead-lettered job.
var ErrDeadLetter = errors.New("dead-lettered")

func (w *worker) Timeout(*river.Job[deliveryArgs]) time.Duration { return w.q.opts.JobTimeout }

func (w *worker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	if t, ok := w.next.LoadAndDelete(job.ID); ok {
		return t.(time.Time)
	}
	return time.Time{} // the client's retry policy (a rescued job)
}

func (w *worker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	q := w.q
	now := q.opts.Now()
	deadline := job.CreatedAt.Add(q.opts.MaxAge)
	if err := w.waitGate(ctx, job, deadline); err != nil {
		return err
	}
	now = q.opts.Now()
	p := q.proc.Load()
	res := (*p).ProcessQueued(handlers.WithDelivery(ctx, handlers.Delivery{Attempt: job.Attempt}), job.Args.Delivery)
	if err := ctx.Err(); err != nil {
		// Stopping (or out of time): River makes a job interrupted by a
		// stop available again without using an attempt.
		q.gate.Release()
		return fmt.Errorf("attempt cut short: %w", err)
	}
	var delay time.Duration
	switch {
	case res.Final:
		q.gate.Up()
		q.metrics.attempts.WithLabelValues(outcomeOf(res)).Inc()
		if res.Status >= 400 {
			q.log.Warn("queued delivery refused by Deskera: done, not retried", "source", job.Args.Source, "id", job.Args.DeliveryID, "status", res.Status, "reason", res.Message)
		}
		return nil
	case res.CRMDown:
		delay = jitter(q.gate.Down(res.RetryAfter))
		q.metrics.attempts.WithLabelValues("crm_down").Inc()
	default:
		q.gate.Release()
		delay = max(res.RetryAfter, backoff(job.Attempt))
		q.metrics.attempts.WithLabelValues("retry").Inc()
	}
	msg := fmt.Sprintf("status %d: %s", res.Status, res.Message)
	if !now.Before(deadline) {
		return w.dead(job, msg)
	}
	next := now.Add(delay)
	if next.After(deadline) {
		next = deadline // the last try is at the maximum age
	}
	w.next.Store(job.ID, next)
	w.schedule(job, history.OutcomeQueued, &next)
	return errors.New(msg)
}

// schedule notes on the delivery's history record what it waits for
// (another attempt at next, or nothing: dead). A failure is logged: the
// job itself is what counts.
func (w *worker) schedule(job *river.Job[deliveryArgs], outcome string, next *time.Time) {
	h := w.q.hist.Load()
	id := job.Args.Delivery.RecordID
	if h == nil || id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), handlers.DefaultHistoryTimeout)
	defer cancel()
	if err := h.Schedule(ctx, id, outcome, next); err != nil {
		w.q.log.Warn("delivery history: next attempt not recorded", "source", job.Args.Source, "id", job.Args.DeliveryID, "err", err.Error())
	}
}

// waitGate blocks while CRM intake is paused, holding this worker's slot
// (so that the other jobs stay untouched in the store), for at most half
// the job timeout; then the job is snoozed (no attempt used) and the slot
// taken by another.
func (w *worker) waitGate(ctx context.Context, job *river.Job[deliveryArgs], deadline time.Time) error {
	q := w.q
	blockUntil := time.Now().Add(q.opts.JobTimeout / 2) // the job's context runs on the wall clock
	waited := false
	for {
		changed := q.gate.Changed()
		ok, wait := q.gate.Enter()
		if ok {
			return nil
		}
		if !waited {
			waited = true
			q.metrics.waits.Inc()
		}
		if !q.opts.Now().Before(deadline) {
			return w.dead(job, "Deskera unavailable")
		}
		if time.Now().After(blockUntil) {
			return river.JobSnooze(jitter(wait))
		}
		t := time.NewTimer(min(wait, w.tick()))
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// tick is how often a waiting worker looks at the clock again: the
// poll interval, so that an injected clock moving is seen soon.
func (w *worker) tick() time.Duration {
	if w.q.opts.PollInterval > 0 {
		return w.q.opts.PollInterval
	}
	return time.Second
}

// dead cancels the job: River keeps it in the cancelled state, which is
// our dead letter.
func (w *worker) dead(job *river.Job[deliveryArgs], why string) error {
	w.q.metrics.attempts.WithLabelValues("dead").Inc()
	w.schedule(job, history.OutcomeDead, nil)
	w.q.log.Error("queued delivery dead-lettered: not done within the maximum age; `leadhook deliveries retry-dead` queues it again",
		"source", job.Args.Source, "id", job.Args.DeliveryID, "max_age", w.q.opts.MaxAge.String(), "attempts", job.Attempt, "reason", why)
	return river.JobCancel(fmt.Errorf("%w after %s: %s", ErrDeadLetter, w.q.opts.MaxAge, why))
}

func outcomeOf(r handlers.QueuedResult) string {
	if r.Status >= 200 && r.Status < 300 {
		return "ok"
	}
	return "refused"
}

// backoff is the wait after a failed attempt n (1-based) that is not
// Deskera's being down: 1s doubling, at most 1h.
func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 12 {
		return time.Hour
	}
	return min(time.Second<<(attempt-1), time.Hour)
}

// jitter spreads waits by up to +10% so that paused workers do not all
// come back in the same instant.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Millisecond
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// retryPolicy is the backoff for jobs River retries without Work having
// chosen a time (a rescued job whose worker died).
type retryPolicy struct{ now func() time.Time }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return p.now().Add(backoff(job.Attempt))
}
