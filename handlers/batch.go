package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// BatchEntry is one delivery of a batch: a request for a source.
type BatchEntry struct {
	Source string
	Req    *webhook.Request
	// Scope, when set, gives the delivery its own context from the
	// batch's (the transport's ids for it, such as an SQS message id), so
	// that its lines and span name it.
	Scope func(context.Context) context.Context
}

// HandleBatch answers several deliveries at once (the records of an SQS
// batch; never a dry run). Each is authenticated, parsed and deduplicated
// as Handle does it and gets its own answer, but the events of all those
// to act on are processed together, so that the contacts they name are
// fetched in one call and their label and owner changes grouped into bulk
// PATCHes across deliveries (see engine.Engine.ProcessBatch). A delivery
// repeating another one's id in the same batch is handled after it, alone.
// As with Handle, a delivery of a `delivery: queued` source is stored
// and answered 202 (the queue's workers act on it), and each delivery
// acted on gets its history record; the calls the batch shares (the one
// contact fetch, the bulk PATCHes) are made under the batch's context,
// so they are on no delivery's record.
func (s *Service) HandleBatch(ctx context.Context, ds []BatchEntry) []Response {
	resps := make([]Response, len(ds))
	if _, ok := s.engine.(BatchProcessor); !ok || len(ds) < 2 {
		for i, d := range ds {
			resps[i] = s.Handle(ctx, d.Source, d.Req, false)
		}
		return resps
	}
	st := s.state.Load()
	b := &batchRun{s: s, ctx: ctx, set: st.set, resps: resps, keys: map[string]bool{}}
	// Each delivery has its own span, ended with its answer (a panic's
	// 500 included: recoverPanic, deferred after, runs first).
	dctxs, spans, reqIDs := make([]context.Context, len(ds)), make([]trace.Span, len(ds)), make([]string, len(ds))
	defer func() {
		for i, span := range spans {
			if span != nil {
				endDelivery(dctxs[i], span, reqIDs[i], &resps[i])
			}
		}
	}()
	defer b.recoverPanic()
	start := time.Now()
	var later []int
	for i, d := range ds {
		dctx := ctx
		if d.Scope != nil {
			dctx = d.Scope(ctx)
		}
		dctx, spans[i], reqIDs[i] = s.beginDelivery(dctx, d.Source, d.Req)
		dctxs[i] = dctx
		src, ok := st.sources[d.Source]
		if !ok {
			resps[i] = errorResponse(http.StatusNotFound, "source", fmt.Sprintf("unknown source %q", d.Source))
			continue
		}
		a, resp, done := s.admit(dctx, src, d.Req, false)
		switch {
		case done:
			resps[i] = resp
		case a.id != "" && b.keys[src.Name+"\n"+a.id]:
			later = append(later, i)
		case src.Delivery == rules.DeliveryQueued && s.queue != nil && len(a.events) > 0:
			resps[i] = s.enqueue(withRequest(dctx, d.Req), st.set, src, d.Req, a)
		default:
			dctx = withRequest(dctx, d.Req)
			if a.id != "" {
				b.keys[src.Name+"\n"+a.id] = true
			}
			b.pending = append(b.pending, batchDelivery{slot: i, admitted: a, ctx: dctx})
		}
	}
	// Claims nest in key order, so two batches holding the same deliveries
	// never wait for each other.
	slices.SortFunc(b.pending, func(x, y batchDelivery) int {
		return strings.Compare(x.src.Name+"\n"+x.id, y.src.Name+"\n"+y.id)
	})
	b.claim(ctx, 0)
	if s.metrics != nil { // known sources only: the label stays bounded
		for _, d := range ds {
			if _, ok := st.sources[d.Source]; ok {
				s.metrics.ObserveDelivery(d.Source, time.Since(start))
			}
		}
	}
	for _, i := range later {
		resps[i] = s.Handle(dctxs[i], ds[i].Source, ds[i].Req, false)
	}
	return resps
}

// batchDelivery is an admitted delivery of a batch and its slot.
type batchDelivery struct {
	slot int
	ctx  context.Context // the delivery's own (see BatchEntry.Scope)
	*admitted
	claimed bool   // acting on it: it was not a replay
	audit   *audit // its history record while acted on
}

// batchRun is one HandleBatch.
type batchRun struct {
	s       *Service
	ctx     context.Context // the batch's, for the panic's log line
	set     *rules.Set
	resps   []Response
	pending []batchDelivery
	keys    map[string]bool
	done    bool
}

// claim takes the deliveries' idempotency claims one inside the other
// (pending[k:] inside pending[k]'s), processes the claimed deliveries'
// events together at the innermost level, and answers each delivery
// (stored for replays as Handle stores it). A replayed delivery answers
// its stored answer and takes no part.
func (b *batchRun) claim(ctx context.Context, k int) {
	if k == len(b.pending) {
		b.process(ctx)
		return
	}
	d := &b.pending[k]
	if d.id == "" {
		d.claimed = true
		b.claim(ctx, k+1)
		return
	}
	s := b.s
	ans, replayed, err := s.dedupe.Do(ctx, d.src.Name+"\n"+d.id, func(ctx context.Context) (idempotency.Answer, bool) {
		d.claimed = true
		b.claim(ctx, k+1)
		first := b.resps[d.slot]
		body, _ := first.Body.(json.RawMessage)
		return idempotency.Answer{Status: first.Status, Body: body}, storable(first.Status)
	})
	switch {
	case err != nil:
		b.resps[d.slot] = s.dedupeFailed(d.ctx, d.src.Name, d.id, err)
	case replayed:
		b.resps[d.slot] = s.replayAnswer(d.ctx, d.src.Name, d.id, ans)
	}
	if !d.claimed || (err != nil && !b.done) {
		// Not claimed (a replay, or the store failed before acting): the
		// deliveries inside it still have to be acted on.
		b.claim(ctx, k+1)
	}
}

// process runs the events of every claimed delivery together, once.
func (b *batchRun) process(ctx context.Context) {
	if b.done {
		return
	}
	b.done = true
	var items []eventItem
	var spans [][2]int
	for k := range b.pending {
		d := &b.pending[k]
		if !d.claimed {
			spans = append(spans, [2]int{-1, -1})
			continue
		}
		if len(d.events) > 0 {
			d.ctx, d.audit = b.s.startAudit(d.ctx, b.set, d.src, d.id, false)
		}
		from := len(items)
		for i := range d.events {
			d.events[i].ID = eventID(d.events[i].ID, d.id, i, len(d.events))
			items = append(items, eventItem{ctx: d.ctx, src: d.src, ev: &d.events[i]})
		}
		spans = append(spans, [2]int{from, len(items)})
	}
	b.s.runEvents(ctx, b.set, items, false)
	for k, sp := range spans {
		d := &b.pending[k]
		switch {
		case sp[0] < 0:
		case sp[0] == sp[1]:
			b.resps[d.slot] = jsonResponse(http.StatusOK, map[string]any{"events": []any{}})
		default:
			b.resps[d.slot] = answer(items[sp[0]:sp[1]])
			b.s.finishAudit(d.ctx, d.audit, b.resps[d.slot])
		}
	}
}

// recoverPanic answers 500 to every delivery not answered yet.
func (b *batchRun) recoverPanic() {
	v := recover()
	if v == nil {
		return
	}
	var resp Response
	func() {
		defer b.s.recoverPanic(b.ctx, "batch", &resp)
		panic(v)
	}()
	for i := range b.resps {
		if b.resps[i].Status == 0 {
			b.resps[i] = resp
		}
	}
}
