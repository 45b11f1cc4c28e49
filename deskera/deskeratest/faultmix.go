package deskeratest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// FaultKind is a kind of randomly injected fault (see InjectFaults).
type FaultKind string

// Fault kinds. The "apply-then" kinds model what a client cannot tell
// from a failure: Deskera committed the request (a POST created its
// contact) and still answered 429 or 503, or the answer was lost.
const (
	FaultStatus        FaultKind = "status"          // 500, 502 or 503; not applied
	FaultRateLimit     FaultKind = "429"             // 429 (with MixRetryAfter); not applied
	FaultDrop          FaultKind = "drop"            // read, then the connection closed; not applied
	FaultApplyThen429  FaultKind = "apply-then-429"  // applied, then answered 429
	FaultApplyThen503  FaultKind = "apply-then-503"  // applied, then answered 503
	FaultApplyThenDrop FaultKind = "apply-then-drop" // applied, then the connection closed
)

// FaultMix is a seeded random share of faults for some operations.
type FaultMix struct {
	// Ops names the operations affected ("contacts.create", see Count);
	// empty: every operation but oauth.token.
	Ops []string
	// Rate is the share (0..1) of their requests that get a fault.
	Rate float64
	// Kinds are picked uniformly for a faulted request; at least one.
	Kinds []FaultKind
	// RetryAfter, when > 0, is sent with the 429 answers.
	RetryAfter time.Duration
}

func (m FaultMix) covers(op string) bool {
	if len(m.Ops) == 0 {
		return op != "oauth.token"
	}
	return slices.Contains(m.Ops, op)
}

func (m FaultMix) validate() error {
	if m.Rate < 0 || m.Rate > 1 {
		return fmt.Errorf("deskeratest: fault rate %v is outside 0..1", m.Rate)
	}
	if len(m.Kinds) == 0 {
		return fmt.Errorf("deskeratest: fault mix for %q has no kinds", m.Ops)
	}
	for _, k := range m.Kinds {
		if !slices.Contains([]FaultKind{FaultStatus, FaultRateLimit, FaultDrop, FaultApplyThen429, FaultApplyThen503, FaultApplyThenDrop}, k) {
			return fmt.Errorf("deskeratest: unknown fault kind %q", k)
		}
	}
	return nil
}

// InjectFaults replaces the random fault mixes: a request gets a fault
// with the rate of the first mix that covers its operation. The choices
// come from a generator seeded with seed, so a run with one request order
// repeats. Queued faults (FailNext, DropNext, ...) come first; with no
// mixes random mixes are off. An invalid mix is an error and changes
// nothing.
func (f *Fake) InjectFaults(seed uint64, mixes ...FaultMix) error {
	for _, m := range mixes {
		if err := m.validate(); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults.mixes = slices.Clone(mixes)
	f.faults.mixRng = rand.New(rand.NewPCG(seed, 0x5eed))
	return nil
}

// Injected returns how many faults were injected, keyed "op fault": fault
// is a FaultKind with the status of a status fault ("500", "429",
// "apply-then-503", "drop", "apply-then-drop"). Counts include queued
// faults (FailNext and the like) and FailRate's.
func (f *Fake) Injected() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.faults.injected))
	for k, v := range f.faults.injected {
		out[k] = v
	}
	return out
}

// fromMix picks op's fault from the mixes (the zero fault for none).
func (q *faults) fromMix(op string) fault {
	for _, m := range q.mixes {
		if !m.covers(op) {
			continue
		}
		if q.mixRng.Float64() >= m.Rate {
			return fault{}
		}
		switch m.Kinds[q.mixRng.IntN(len(m.Kinds))] {
		case FaultStatus:
			return fault{status: []int{500, 502, 503}[q.mixRng.IntN(3)]}
		case FaultRateLimit:
			return fault{status: http.StatusTooManyRequests, retryAfter: m.RetryAfter}
		case FaultDrop:
			return fault{drop: true}
		case FaultApplyThen429:
			return fault{status: http.StatusTooManyRequests, retryAfter: m.RetryAfter, apply: true}
		case FaultApplyThen503:
			return fault{status: http.StatusServiceUnavailable, apply: true}
		case FaultApplyThenDrop:
			return fault{drop: true, apply: true}
		}
	}
	return fault{}
}

// name is the fault's key in Injected ("" for no fault).
func (ft fault) name() string {
	var s string
	switch {
	case ft.drop:
		s = string(FaultDrop)
	case ft.status != 0:
		s = strconv.Itoa(ft.status)
	default:
		return ""
	}
	if ft.apply {
		s = "apply-then-" + s
	}
	return s
}
