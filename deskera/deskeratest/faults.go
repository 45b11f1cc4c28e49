package deskeratest

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// fault is what happens to one request: an injected status, or a dropped
// connection; with apply set the request is applied first.
type fault struct {
	status     int
	retryAfter time.Duration
	drop       bool
	apply      bool
}

// faults holds the pending fault injections; guarded by Fake.mu.
type faults struct {
	failN      int
	failStatus int
	failAfter  time.Duration
	rate       float64
	statuses   []int
	dropN      int
	dropApplyN int
	// applyFailN requests are applied and then answered applyStatus.
	applyFailN  int
	applyStatus int
	applyAfter  time.Duration
	latency     time.Duration
	rng         *rand.Rand
	// mixes are the random faults per operation (see InjectFaults).
	mixes    []FaultMix
	mixRng   *rand.Rand
	injected map[string]int // "op fault" -> count
	// opFail fails requests of one operation after letting some through.
	opFail opFault
}

// opFault answers status to n requests of op once skip of them have been
// served normally.
type opFault struct {
	op            string
	skip, n, code int
}

// next returns the fault for a request of op and counts it.
func (q *faults) next(op string) fault {
	ft := q.pick(op)
	if n := ft.name(); n != "" {
		if q.injected == nil {
			q.injected = map[string]int{}
		}
		q.injected[op+" "+n]++
	}
	return ft
}

func (q *faults) pick(op string) fault {
	if of := &q.opFail; of.op == op && of.n > 0 {
		if of.skip > 0 {
			of.skip--
		} else {
			of.n--
			return fault{status: of.code}
		}
	}
	switch {
	case q.dropN > 0:
		q.dropN--
		return fault{drop: true}
	case q.dropApplyN > 0:
		q.dropApplyN--
		return fault{drop: true, apply: true}
	case q.applyFailN > 0:
		q.applyFailN--
		return fault{status: q.applyStatus, retryAfter: q.applyAfter, apply: true}
	case q.failN > 0:
		q.failN--
		return fault{status: q.failStatus, retryAfter: q.failAfter}
	case q.rate > 0 && q.rng.Float64() < q.rate:
		return fault{status: q.statuses[q.rng.IntN(len(q.statuses))]}
	}
	return q.fromMix(op)
}

// FailNext answers the next n requests with status (e.g. 429 or 503) and,
// when retryAfter > 0, a Retry-After header in seconds (fractional seconds
// are written as a decimal, e.g. "0.05", for fast tests).
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.failN, f.faults.failStatus, f.faults.failAfter = n, status, retryAfter
}

// FailRate answers a random fraction frac (0..1) of requests with one of
// statuses (503 when none are given). FailRate(0) turns it off. The random
// sequence is seeded, so runs are repeatable.
func (f *Fake) FailRate(frac float64, statuses ...int) {
	if len(statuses) == 0 {
		statuses = []int{http.StatusServiceUnavailable}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.rate, f.faults.statuses = frac, statuses
}

// FailOpAfter lets the next skip requests of op (e.g.
// "contacts.bulk_update") through and answers the n after them with status,
// without applying them: a job that fails half way, to test that it
// resumes. Other operations are not affected. FailOpAfter("", 0, 0, 0)
// turns it off.
func (f *Fake) FailOpAfter(op string, skip, n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.opFail = opFault{op: op, skip: skip, n: n, code: status}
}

// SetLatency delays every answer by d (0 turns it off). The delay ends early
// when the request's context is cancelled, which drops the request.
func (f *Fake) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.latency = d
}

// DropNext reads the next n requests and then closes the connection without
// applying them or answering.
func (f *Fake) DropNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.dropN = n
}

// DropNextAfterApply applies the next n requests (a POST creates its
// contact) and then closes the connection without answering: the client
// cannot know the outcome.
func (f *Fake) DropNextAfterApply(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.dropApplyN = n
}

// FailNextAfterApply applies the next n requests (a POST creates its
// contact) and then answers status (e.g. 429 or 503, with Retry-After when
// retryAfter > 0) instead of the real answer: Deskera has been seen to
// commit a create and still answer 429, so a client must not take a 429 or
// 5xx on a create as proof that nothing happened.
func (f *Fake) FailNextAfterApply(n, status int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.applyFailN, f.faults.applyStatus, f.faults.applyAfter = n, status, retryAfter
}

// sleep waits for the configured latency; false if the request was
// cancelled meanwhile.
func (f *Fake) sleep(r *http.Request) bool {
	f.mu.Lock()
	d := f.faults.latency
	f.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeFault(w http.ResponseWriter, ft fault) {
	if ft.retryAfter > 0 {
		w.Header().Set("Retry-After", formatRetryAfter(ft.retryAfter))
	}
	writeError(w, ft.status, "injected fault: "+http.StatusText(ft.status))
}

func formatRetryAfter(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d / time.Second))
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// discard is a ResponseWriter for requests applied and then dropped.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
