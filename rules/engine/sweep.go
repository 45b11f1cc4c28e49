package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// SweepOptions configure one sweep; zero sizes take the set's policy.
type SweepOptions struct {
	DryRun    bool
	PageSize  int
	ChunkSize int
	// Progress, when set, is called after every page.
	Progress func(SweepProgress)
	// Checkpoint, when set (and not a dry run), is called after every
	// page and every bulk PATCH with how far the sweep got (for a state
	// file); an error from it stops the sweep. It changes no call.
	Checkpoint func(*SweepCheckpoint) error
	// Resume continues a sweep from a checkpoint: the walk starts after its
	// page, the counts start from its result, and the changes it lists as
	// applied are counted, not sent again.
	Resume *SweepCheckpoint
}

// SweepProgress is reported after every page.
type SweepProgress struct {
	Pages      int `json:"pages"`
	Scanned    int `json:"scanned"`
	Changed    int `json:"changed"`
	Reassigned int `json:"reassigned"`
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
	// Matched counts the contacts an owner rule (or reassign) matched;
	// Reassigned those whose owner changes, ByOwner them per new owner id.
	Matched    int            `json:"matched,omitempty"`
	Reassigned int            `json:"reassigned,omitempty"`
	ByOwner    map[string]int `json:"by_owner,omitempty"`
	// Errors lists contacts whose expressions failed (they are left alone).
	Errors []string `json:"errors,omitempty"`
	// Calls is every API call made (or planned) by this run, in order;
	// CallCount counts them, with those of the runs it resumes.
	CallCount int    `json:"call_count"`
	Calls     []Call `json:"calls"`
}

// maxSweepErrors bounds SweepResult.Errors.
const maxSweepErrors = 100

// Sweep walks every contact page by page, scores it in the `contact`
// environment, maps the score to a label by the thresholds and runs the
// owner rules (sweep.rules); the contacts whose label or owner changes are
// updated with one bulk PATCH per distinct (label, owner) change per chunk.
// A dry run lists the contacts (it has to, to know what would change) but
// never writes; Calls then lists the writes it would make. It stops at the
// first API error, returning the counts so far.
func (e *Engine) Sweep(ctx context.Context, set *rules.Set, opts SweepOptions) (*SweepResult, error) {
	if set == nil {
		return nil, errors.New("engine: sweep: nil set")
	}
	if len(set.Thresholds()) == 0 {
		return nil, errors.New("engine: sweep: the rules file has no thresholds")
	}
	return e.sweep(ctx, set, opts, true, set.Sweep().Rules)
}

// Reassign hands the contacts of one owner to a pool (routed per contact
// key, as events are) or to another owner: a sweep that relabels nothing
// and runs one owner rule, with the same bulk PATCHes, dry run, progress
// and checkpoints.
func (e *Engine) Reassign(ctx context.Context, set *rules.Set, t rules.ReassignTarget, opts SweepOptions) (*SweepResult, error) {
	if set == nil {
		return nil, errors.New("engine: reassign: nil set")
	}
	r, err := set.ReassignRule(t)
	if err != nil {
		return nil, err
	}
	return e.sweep(ctx, set, opts, false, []rules.SweepRule{r})
}

// sweep runs a sweep (relabel) or a reassign (!relabel).
func (e *Engine) sweep(ctx context.Context, set *rules.Set, opts SweepOptions, relabel bool, owners []rules.SweepRule) (*SweepResult, error) {
	s := &sweeper{e: e, set: set, opts: opts, relabel: relabel, owners: owners,
		res:    &SweepResult{DryRun: opts.DryRun, ByLabel: map[string]int{}, ByOwner: map[string]int{}},
		groups: map[bulkChange][]deskera.ID{}, ev: &rules.Event{ID: "sweep", Source: "sweep", Kind: rules.KindSchedule, ReceivedAt: e.now()}}
	if opts.DryRun {
		s.opts.Checkpoint = nil
	}
	s.pageSize = cmp.Or(max(opts.PageSize, 0), set.Sweep().PageSize, rules.DefaultPageSize)
	s.chunk = cmp.Or(max(opts.ChunkSize, 0), set.Sweep().ChunkSize, rules.DefaultChunkSize)
	s.resume(opts.Resume)
	if relabel {
		if err := s.resolveTargets(ctx); err != nil {
			return s.finish(), err
		}
	}
	err := e.crm.WalkContacts(ctx, &deskera.ListContactsOptions{Limit: s.pageSize, Page: s.res.Pages + 1}, func(cs []deskera.Contact) error {
		return s.page(ctx, cs)
	})
	if err == nil {
		err = s.flushAll(ctx)
	}
	if err != nil {
		what := "sweep"
		if !relabel {
			what = "reassign"
		}
		return s.finish(), fmt.Errorf("engine: %s: %w", what, err)
	}
	return s.finish(), nil
}

type sweeper struct {
	e               *Engine
	set             *rules.Set
	opts            SweepOptions
	relabel         bool              // score and relabel (false: reassign only)
	owners          []rules.SweepRule // owner rules
	res             *SweepResult
	ev              *rules.Event
	pageSize, chunk int
	targets         map[string]deskera.ID // threshold label -> id
	keep            map[deskera.ID]bool
	groups          map[bulkChange][]deskera.ID
	order           []bulkChange // change sets in first-seen order
	tracker                      // checkpoints (see checkpoint.go)
}

func (s *sweeper) record(c Call) { s.res.Calls = append(s.res.Calls, c) }

func (s *sweeper) finish() *SweepResult {
	s.res.CallCount = s.baseCalls + len(s.res.Calls)
	return s.res
}

// resolveTargets resolves the threshold and keep labels once.
func (s *sweeper) resolveTargets(ctx context.Context) error {
	s.targets, s.keep = map[string]deskera.ID{}, map[deskera.ID]bool{}
	for _, t := range s.set.Thresholds() {
		id, err := s.e.resolveLabel(ctx, s.set, t.Label, s.opts.DryRun, s.record)
		if err != nil {
			return err
		}
		s.targets[t.Label] = id
	}
	for _, name := range s.set.Sweep().KeepLabels {
		if id, ok := s.e.labels.get(name); ok {
			s.keep[id] = true
		}
	}
	return nil
}

// page handles one page of contacts: it queues their changes, sends the
// chunks that are full and checkpoints.
func (s *sweeper) page(ctx context.Context, contacts []deskera.Contact) error {
	s.res.Pages++
	s.record(Call{Op: "contacts.list", Method: "GET", Path: fmt.Sprintf("/v1/crm/contacts?limit=%d&page=%d", s.pageSize, s.res.Pages)})
	for i := range contacts {
		s.contact(&contacts[i])
	}
	s.pageScanned()
	for _, ch := range s.order {
		if len(s.groups[ch]) >= s.chunk {
			if err := s.flush(ctx, ch); err != nil {
				return err
			}
		}
	}
	if err := s.checkpoint(); err != nil {
		return err
	}
	if s.opts.Progress != nil {
		s.opts.Progress(SweepProgress{Pages: s.res.Pages, Scanned: s.res.Scanned, Changed: s.res.Changed, Reassigned: s.res.Reassigned})
	}
	return nil
}

// contact decides one contact's label and owner change and queues it. A
// contact whose change was sent before the run resumed is counted as it
// was then and not sent again.
func (s *sweeper) contact(d *deskera.Contact) {
	s.res.Scanned++
	c := s.e.toContact(d)
	prev, resumed := s.wasApplied(d.ID)
	var a AppliedChange
	var ch bulkChange
	if s.relabel {
		a.Label, ch.label = s.labelChange(d, c, prev)
		a.LabelID = ch.label
	}
	if resumed && prev.OwnerID != 0 {
		ch.owner = prev.OwnerID
	} else {
		ch.owner = s.ownerChange(d, c)
	}
	a.OwnerID = ch.owner
	if ch.label != 0 {
		s.res.Changed++
		s.res.ByLabel[a.Label]++
	}
	if ch.owner != 0 {
		s.res.Matched++
		s.res.Reassigned++
		s.res.ByOwner[strconv.FormatInt(int64(ch.owner), 10)]++
	}
	if resumed || ch == (bulkChange{}) {
		return
	}
	if _, seen := s.groups[ch]; !seen {
		s.order = append(s.order, ch)
	}
	s.groups[ch] = append(s.groups[ch], d.ID)
	s.queued(d.ID, a)
}

func (s *sweeper) addError(d *deskera.Contact, err error) {
	if len(s.res.Errors) < maxSweepErrors {
		s.res.Errors = append(s.res.Errors, fmt.Sprintf("contact %d: %v", d.ID, err))
	}
}

// labelChange scores the contact: the new label's name and id, "" and 0
// when it keeps its label (prev: the change sent before the run resumed).
// Label ids are never 0 (in a dry run, labels still to be created have
// negative placeholders).
func (s *sweeper) labelChange(d *deskera.Contact, c *rules.Contact, prev AppliedChange) (name string, target deskera.ID) {
	if prev.Label != "" {
		return prev.Label, prev.LabelID
	}
	if s.keep[d.LabelID] {
		s.res.Kept++
		return "", 0
	}
	label, ok, err := s.set.SweepLabel(s.ev, c)
	switch {
	case err != nil:
		s.addError(d, err)
		return "", 0
	case !ok:
		s.res.Skipped++
		return "", 0
	case label == "":
		s.res.NoLabel++
		return "", 0
	}
	target = s.targets[label]
	if target == d.LabelID || target == 0 {
		s.res.Unchanged++
		return "", 0
	}
	return label, target
}

// ownerChange runs the owner rules: the new owner, 0 when it stays.
func (s *sweeper) ownerChange(d *deskera.Contact, c *rules.Contact) deskera.ID {
	owner, rule, err := s.set.SweepOwner(s.ev, c, s.owners)
	switch {
	case err != nil:
		s.addError(d, err)
		return 0
	case rule == "" || owner <= 0:
		return 0
	case deskera.ID(owner) == d.OwnerID:
		s.res.Matched++
		return 0
	}
	return deskera.ID(owner)
}

func (s *sweeper) flushAll(ctx context.Context) error {
	for _, ch := range s.order {
		for len(s.groups[ch]) > 0 {
			if err := s.flush(ctx, ch); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends one bulk PATCH of up to chunk ids for the change set.
func (s *sweeper) flush(ctx context.Context, ch bulkChange) error {
	ids := s.groups[ch]
	n := min(len(ids), s.chunk)
	body := ch.body(slices.Clone(ids[:n]))
	s.groups[ch] = ids[n:]
	s.record(Call{Op: "contacts.bulk_update", Method: "PATCH", Path: "/v1/crm/contacts", Body: body})
	if s.opts.DryRun {
		return nil
	}
	if err := s.e.bulkUpdate(ctx, body); err != nil {
		_ = s.checkpoint() // keeps the count of calls made; the error is the sweep's
		return err
	}
	s.sent(body.IDs)
	return s.checkpoint()
}
