package queue

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// maxBatch bounds one group commit.
const maxBatch = 128

// insertReq is one Enqueue waiting for its group commit.
type insertReq struct {
	ctx  context.Context
	p    river.InsertManyParams
	done chan insertRes
}

type insertRes struct {
	res *rivertype.JobInsertResult
	err error
}

// batcher commits concurrent inserts together: one transaction (one
// fsync on the embedded store with Fsync) for every delivery that arrived
// while the previous commit ran, and, while senders are concurrent, within
// linger after it, instead of one each. A delivery is answered only after
// the commit that holds it.
type batcher struct {
	many func(ctx context.Context, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	reqs chan *insertReq
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newBatcher(many func(ctx context.Context, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)) *batcher {
	b := &batcher{many: many, reqs: make(chan *insertReq), quit: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

func (b *batcher) insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	r := &insertReq{ctx: ctx, p: river.InsertManyParams{Args: args, InsertOpts: opts}, done: make(chan insertRes, 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.quit:
		return nil, errClosed
	}
	res := <-r.done // committed or failed: never abandoned once sent
	return res.res, res.err
}

func (b *batcher) loop() {
	defer close(b.done)
	concurrent := false // the last batch held more than one delivery
	for {
		var first *insertReq
		select {
		case first = <-b.reqs:
		case <-b.quit:
			return
		}
		batch := b.fill([]*insertReq{first}, concurrent)
		concurrent = len(batch) > 1
		b.commit(batch)
	}
}

// linger is how long a batch waits for more deliveries when the last one
// held several (concurrent senders): a commit's fixed cost (BEGIN, the
// WAL frames of COMMIT) is then shared by more of them. A lone sender
// never waits.
const linger = 500 * time.Microsecond

// fill adds the deliveries waiting (and, when concurrent, those arriving
// within linger) to batch.
func (b *batcher) fill(batch []*insertReq, concurrent bool) []*insertReq {
	var wait <-chan time.Time
	if concurrent {
		t := time.NewTimer(linger)
		defer t.Stop()
		wait = t.C
	}
	for len(batch) < maxBatch {
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

func (b *batcher) commit(batch []*insertReq) {
	ps := make([]river.InsertManyParams, 0, len(batch))
	live := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() != nil { // its sender gave up: not stored, it retries
			r.done <- insertRes{err: r.ctx.Err()}
			continue
		}
		ps = append(ps, r.p)
		live = append(live, r)
	}
	if len(ps) == 0 {
		return
	}
	// The commit is not tied to one sender's context.
	res, err := b.many(context.Background(), ps)
	for i, r := range live {
		if err != nil {
			r.done <- insertRes{err: err}
			continue
		}
		r.done <- insertRes{res: res[i]}
	}
}

func (b *batcher) close() {
	b.once.Do(func() { close(b.quit) })
	<-b.done
}
