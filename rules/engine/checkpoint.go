package engine

import (
	"maps"
	"slices"

	"github.com/leadhook/leadhook/deskera"
)

// SweepCheckpoint is how far a sweep or reassign got: every change of
// pages 1..Page has been applied and Result holds their counts; Applied
// lists the changes of later pages already applied (the sweep sends a
// bulk PATCH once a chunk is full, which can span pages); Calls counts
// every call made so far, failed ones included.
type SweepCheckpoint struct {
	Page    int                          `json:"page"`
	Calls   int                          `json:"calls"`
	Result  SweepResult                  `json:"result"`
	Applied map[deskera.ID]AppliedChange `json:"applied,omitempty"`
}

// AppliedChange is one contact's change sent by a bulk PATCH.
type AppliedChange struct {
	Label   string     `json:"label,omitempty"`
	LabelID deskera.ID `json:"label_id,omitempty"`
	OwnerID deskera.ID `json:"owner_id,omitempty"`
	// Page is the page the contact was listed on.
	Page int `json:"page"`
}

// tracker follows which changes are applied, to checkpoint a sweep
// without changing its calls: a page is complete once no change of it or
// an earlier page waits in a chunk.
type tracker struct {
	on        bool
	baseCalls int                          // calls of the runs resumed
	resumed   map[deskera.ID]AppliedChange // applied before this run, not listed again yet
	pending   map[deskera.ID]AppliedChange // queued, not sent
	applied   map[deskera.ID]AppliedChange // sent, of pages not complete yet
	snaps     map[int]SweepResult          // the result at the end of each page not complete yet
}

// resume sets the sweeper up from a checkpoint (nil: from the start).
func (s *sweeper) resume(cp *SweepCheckpoint) {
	s.on = s.opts.Checkpoint != nil
	s.pending, s.applied, s.snaps = map[deskera.ID]AppliedChange{}, map[deskera.ID]AppliedChange{}, map[int]SweepResult{}
	if cp != nil {
		r := cloneResult(&cp.Result)
		r.DryRun, r.Pages = s.opts.DryRun, cp.Page
		s.res, s.baseCalls, s.resumed = &r, cp.Calls, maps.Clone(cp.Applied)
	}
	s.snaps[s.res.Pages] = cloneResult(s.res)
}

// wasApplied reports (and forgets) a change applied before the run resumed;
// it is applied again in this run's books, on the current page.
func (s *sweeper) wasApplied(id deskera.ID) (AppliedChange, bool) {
	a, ok := s.resumed[id]
	if ok {
		delete(s.resumed, id)
		a.Page = s.res.Pages
		if s.on {
			s.applied[id] = a
		}
	}
	return a, ok
}

func (s *sweeper) queued(id deskera.ID, a AppliedChange) {
	if s.on {
		a.Page = s.res.Pages
		s.pending[id] = a
	}
}

func (s *sweeper) sent(ids []deskera.ID) {
	if !s.on {
		return
	}
	for _, id := range ids {
		s.applied[id] = s.pending[id]
		delete(s.pending, id)
	}
}

// pageScanned snapshots the counts at the end of a page.
func (s *sweeper) pageScanned() {
	if s.on {
		s.snaps[s.res.Pages] = cloneResult(s.res)
	}
}

// checkpoint reports how far the sweep got, when asked to.
func (s *sweeper) checkpoint() error {
	if !s.on {
		return nil
	}
	done := s.res.Pages
	for _, a := range s.pending {
		done = min(done, a.Page-1)
	}
	base, ok := s.snaps[done]
	for done > 0 && !ok { // cannot happen: every page is snapshotted
		done--
		base, ok = s.snaps[done]
	}
	maps.DeleteFunc(s.snaps, func(p int, _ SweepResult) bool { return p < done })
	maps.DeleteFunc(s.applied, func(_ deskera.ID, a AppliedChange) bool { return a.Page <= done })
	cp := &SweepCheckpoint{Page: done, Calls: s.baseCalls + len(s.res.Calls), Result: cloneResult(&base)}
	if len(s.applied) > 0 {
		cp.Applied = maps.Clone(s.applied)
	}
	return s.opts.Checkpoint(cp)
}

// cloneResult copies r's counts (not its calls).
func cloneResult(r *SweepResult) SweepResult {
	c := *r
	c.Calls = nil
	c.ByLabel, c.ByOwner = maps.Clone(r.ByLabel), maps.Clone(r.ByOwner)
	if c.ByLabel == nil {
		c.ByLabel = map[string]int{}
	}
	if c.ByOwner == nil {
		c.ByOwner = map[string]int{}
	}
	c.Errors = slices.Clone(r.Errors)
	return c
}
