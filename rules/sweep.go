package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/leadhook/leadhook/deskera"
)

// SweepOptions configure one sweep; zero sizes take the set's policy.
type SweepOptions struct {
	DryRun    bool
	PageSize  int
	ChunkSize int
	// Progress, when set, is called after every page.
	Progress func(SweepProgress)
}

// SweepProgress is reported after every page.
type SweepProgress struct {
	Pages   int `json:"pages"`
	Scanned int `json:"scanned"`
	Changed int `json:"changed"`
}

// SweepResult counts what a sweep did (or, in a dry run, would do).
type SweepResult struct {
	DryRun  bool `json:"dry_run,omitempty"`
	Pages   int  `json:"pages"`
	Scanned int  `json:"scanned"`
	// Skipped contacts did not pass sweep.when; Kept have a keep_labels
	// label; NoLabel scored below every threshold.
	Skipped   int `json:"skipped"`
	Kept      int `json:"kept"`
	NoLabel   int `json:"no_label"`
	Unchanged int `json:"unchanged"`
	Changed   int `json:"changed"`
	// ByLabel counts the changed contacts per new label.
	ByLabel map[string]int `json:"by_label"`
	// Errors lists contacts whose expressions failed (they are left alone).
	Errors []string `json:"errors,omitempty"`
	// Calls is every API call made (or planned), in order; CallCount its length.
	CallCount int    `json:"call_count"`
	Calls     []Call `json:"calls"`
}

// maxSweepErrors bounds SweepResult.Errors.
const maxSweepErrors = 100

// Sweep walks every contact page by page, scores it in the `contact`
// environment, maps the score to a label by the thresholds and relabels
// the contacts whose label changes, one bulk PATCH per target label per
// chunk. A dry run lists the contacts (it has to, to know what would
// change) but never writes; Calls then lists the writes it would make. It
// stops at the first API error, returning the counts so far.
func (e *Engine) Sweep(ctx context.Context, set *Set, opts SweepOptions) (*SweepResult, error) {
	if set == nil {
		return nil, errors.New("rules: sweep: nil set")
	}
	if len(set.thresholds) == 0 {
		return nil, errors.New("rules: sweep: the rules file has no thresholds")
	}
	s := &sweeper{e: e, set: set, opts: opts, res: &SweepResult{DryRun: opts.DryRun, ByLabel: map[string]int{}},
		groups: map[deskera.ID][]deskera.ID{}, ev: &Event{ID: "sweep", Source: "sweep", Kind: KindSchedule, ReceivedAt: e.now()}}
	s.pageSize = firstPositive(opts.PageSize, set.sweep.PageSize, DefaultPageSize)
	s.chunk = firstPositive(opts.ChunkSize, set.sweep.ChunkSize, DefaultChunkSize)
	if err := s.resolveTargets(ctx); err != nil {
		return s.finish(), err
	}
	err := e.crm.WalkContacts(ctx, &deskera.ListContactsOptions{Limit: s.pageSize}, func(cs []deskera.Contact) error {
		return s.page(ctx, cs)
	})
	if err == nil {
		err = s.flushAll(ctx)
	}
	if err != nil {
		return s.finish(), fmt.Errorf("rules: sweep: %w", err)
	}
	return s.finish(), nil
}

func firstPositive(v ...int) int {
	for _, n := range v {
		if n > 0 {
			return n
		}
	}
	return 0
}

type sweeper struct {
	e               *Engine
	set             *Set
	opts            SweepOptions
	res             *SweepResult
	ev              *Event
	pageSize, chunk int
	targets         map[string]deskera.ID // threshold label -> id
	keep            map[deskera.ID]bool
	groups          map[deskera.ID][]deskera.ID
	order           []deskera.ID // target ids in first-seen order
}

func (s *sweeper) record(c Call) { s.res.Calls = append(s.res.Calls, c) }

func (s *sweeper) finish() *SweepResult {
	s.res.CallCount = len(s.res.Calls)
	return s.res
}

// resolveTargets resolves the threshold and keep labels once.
func (s *sweeper) resolveTargets(ctx context.Context) error {
	s.targets, s.keep = map[string]deskera.ID{}, map[deskera.ID]bool{}
	for _, t := range s.set.thresholds {
		id, err := s.e.resolveLabel(ctx, s.set, t.Label, s.opts.DryRun, s.record)
		if err != nil {
			return err
		}
		s.targets[t.Label] = id
	}
	for _, name := range s.set.sweep.KeepLabels {
		if id, ok := s.e.labels.get(name); ok {
			s.keep[id] = true
		}
	}
	return nil
}

// page handles one page of contacts.
func (s *sweeper) page(ctx context.Context, contacts []deskera.Contact) error {
	s.res.Pages++
	s.record(Call{Op: "contacts.list", Method: "GET", Path: fmt.Sprintf("/v1/crm/contacts?limit=%d&page=%d", s.pageSize, s.res.Pages)})
	for i := range contacts {
		s.contact(&contacts[i])
	}
	for _, id := range s.order {
		if len(s.groups[id]) >= s.chunk {
			if err := s.flush(ctx, id); err != nil {
				return err
			}
		}
	}
	if s.opts.Progress != nil {
		s.opts.Progress(SweepProgress{Pages: s.res.Pages, Scanned: s.res.Scanned, Changed: s.res.Changed})
	}
	return nil
}

func (s *sweeper) contact(d *deskera.Contact) {
	s.res.Scanned++
	if s.keep[d.LabelID] {
		s.res.Kept++
		return
	}
	label, ok, err := s.set.sweepLabel(s.ev, s.e.toContact(d))
	switch {
	case err != nil:
		if len(s.res.Errors) < maxSweepErrors {
			s.res.Errors = append(s.res.Errors, fmt.Sprintf("contact %d: %v", d.ID, err))
		}
		return
	case !ok:
		s.res.Skipped++
		return
	case label == "":
		s.res.NoLabel++
		return
	}
	target := s.targets[label]
	if target == d.LabelID && target != 0 {
		s.res.Unchanged++
		return
	}
	s.res.Changed++
	s.res.ByLabel[label]++
	if _, seen := s.groups[target]; !seen {
		s.order = append(s.order, target)
	}
	s.groups[target] = append(s.groups[target], d.ID)
}

func (s *sweeper) flushAll(ctx context.Context) error {
	for _, id := range s.order {
		for len(s.groups[id]) > 0 {
			if err := s.flush(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends one bulk PATCH of up to chunk ids for the label.
func (s *sweeper) flush(ctx context.Context, label deskera.ID) error {
	ids := s.groups[label]
	n := min(len(ids), s.chunk)
	body := &deskera.BulkUpdateContact{IDs: slices.Clone(ids[:n]), LabelID: label}
	s.groups[label] = ids[n:]
	s.record(Call{Op: "contacts.bulk_update", Method: "PATCH", Path: "/v1/crm/contacts", Body: body})
	if s.opts.DryRun {
		return nil
	}
	return s.e.crm.BulkUpdateContacts(ctx, body)
}
