// Package groupcommit commits concurrent writes together: one
// transaction for every write that arrived while the previous commit
// ran, instead of one each. The delivery queue's job inserts and the
// delivery history's records go through it.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is Do's error after Close.
var ErrClosed = errors.New("groupcommit: closed")

// DefaultMax bounds one commit.
const DefaultMax = 128

// DefaultLinger is how long a batch waits for more writes when the last
// one held several (concurrent writers): a commit's fixed cost (BEGIN,
// the WAL frames of COMMIT) is then shared by more of them. A lone
// writer never waits.
const DefaultLinger = 500 * time.Microsecond

// Commit writes items in one transaction and returns one result per item
// (or an error for all of them). It is not tied to one writer's context.
type Commit[T, R any] func(ctx context.Context, items []T) ([]R, error)

// Batcher gathers the items of concurrent Do calls and commits them
// together. A Do returns only after the commit that holds its item.
type Batcher[T, R any] struct {
	commit Commit[T, R]
	max    int
	linger time.Duration
	reqs   chan *request[T, R]
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
}

type request[T, R any] struct {
	ctx  context.Context
	item T
	done chan result[R]
}

type result[R any] struct {
	res R
	err error
}

// New starts a Batcher that commits through commit, at most max items at
// once (DefaultMax when max <= 0), waiting up to linger for more while
// writers are concurrent (negative: never wait).
func New[T, R any](commit Commit[T, R], max int, linger time.Duration) (*Batcher[T, R], error) {
	if commit == nil {
		return nil, errors.New("groupcommit: nil commit")
	}
	if max <= 0 {
		max = DefaultMax
	}
	b := &Batcher[T, R]{commit: commit, max: max, linger: linger,
		reqs: make(chan *request[T, R]), quit: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b, nil
}

// Do commits item with whatever other items are being written at the
// same time and returns its result. A writer whose ctx ends before the
// commit starts is answered with ctx's error and its item is not written;
// once the commit starts, Do waits for it.
func (b *Batcher[T, R]) Do(ctx context.Context, item T) (R, error) {
	r := &request[T, R]{ctx: ctx, item: item, done: make(chan result[R], 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	case <-b.quit:
		var zero R
		return zero, ErrClosed
	}
	res := <-r.done // committed or failed: never abandoned once sent
	return res.res, res.err
}

// Close stops the Batcher after the commit in progress; later Do calls
// return ErrClosed. It is safe to call more than once.
func (b *Batcher[T, R]) Close() {
	b.once.Do(func() { close(b.quit) })
	<-b.done
}

func (b *Batcher[T, R]) loop() {
	defer close(b.done)
	concurrent := false // the last batch held more than one item
	for {
		var first *request[T, R]
		select {
		case first = <-b.reqs:
		case <-b.quit:
			return
		}
		batch := b.fill([]*request[T, R]{first}, concurrent)
		concurrent = len(batch) > 1
		b.run(batch)
	}
}

// fill adds the writes waiting (and, when concurrent, those arriving
// within linger) to batch.
func (b *Batcher[T, R]) fill(batch []*request[T, R], concurrent bool) []*request[T, R] {
	var wait <-chan time.Time
	if concurrent && b.linger > 0 {
		t := time.NewTimer(b.linger)
		defer t.Stop()
		wait = t.C
	}
	for len(batch) < b.max {
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		if wait == nil {
			return batch
		}
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
		case <-wait:
			return batch
		}
	}
	return batch
}

func (b *Batcher[T, R]) run(batch []*request[T, R]) {
	items := make([]T, 0, len(batch))
	live := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() != nil { // its writer gave up: not written
			r.done <- result[R]{err: r.ctx.Err()}
			continue
		}
		items = append(items, r.item)
		live = append(live, r)
	}
	if len(items) == 0 {
		return
	}
	res, err := b.commit(context.Background(), items)
	if err == nil && len(res) != len(items) {
		err = errors.New("groupcommit: commit returned a result count unlike its items")
	}
	for i, r := range live {
		if err != nil {
			r.done <- result[R]{err: err}
			continue
		}
		r.done <- result[R]{res: res[i]}
	}
}
