package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// ProcessBatch handles the events of one delivery that touches several
// contacts (a Deskera webhook listing contacts): the events naming a
// contact id are looked up together with one POST
// /v1/crm/contacts/multiple (per deskera.MaxMultipleIDs ids) instead of a
// GET each, and their label, owner and visibility changes go out grouped:
// one bulk PATCH /v1/crm/contacts per distinct change per chunk
// (sweep.chunk_size) instead of a PATCH each. A plan that changes more
// than that (a field, a custom field) is patched on its own, a create or
// delete runs as in Process. Events without a contact id, and the second
// event of a contact the batch names twice, are processed one by one after
// the others, in order. Outcomes and errors are per event, as Process gives
// them; each event's Calls list the shared calls it took part in.
func (e *Engine) ProcessBatch(ctx context.Context, set *rules.Set, evs []*rules.Event, dryRun bool) ([]*Outcome, []error) {
	outs, errs := make([]*Outcome, len(evs)), make([]error, len(evs))
	var batched, rest []int
	seen := map[int64]bool{}
	for i, ev := range evs {
		switch {
		case ev == nil || set == nil:
			errs[i] = errors.New("engine: process: nil set or event")
		case ev.ContactID > 0 && !seen[ev.ContactID]:
			seen[ev.ContactID] = true
			batched = append(batched, i)
		default:
			rest = append(rest, i)
		}
	}
	if len(batched) < 2 {
		rest = append(batched, rest...)
		slices.Sort(rest)
		batched = nil
	}
	if len(batched) > 0 {
		redo := e.batch(ctx, set, evs, batched, dryRun, outs, errs)
		if len(redo) > 0 {
			// A label was deleted or recreated in Deskera: Process reloads
			// the labels and acts again, event by event.
			rest = append(redo, rest...)
		}
	}
	for _, i := range rest {
		outs[i], errs[i] = e.Process(ctx, set, evs[i], dryRun)
	}
	return outs, errs
}

// batch processes the events at idx together (see ProcessBatch) and
// returns those to process again one by one.
func (e *Engine) batch(ctx context.Context, set *rules.Set, evs []*rules.Event, idx []int, dry bool, outs []*Outcome, errs []error) []int {
	fail := func(err error, calls ...Call) {
		for _, i := range idx {
			outs[i], errs[i] = &Outcome{DryRun: dry, Calls: slices.Clone(calls)}, err
		}
	}
	if !dry {
		unlock, err := e.lockAll(ctx, set, evs, idx)
		if err != nil {
			fail(err)
			return nil
		}
		defer unlock()
	}
	ids := make([]deskera.ID, len(idx))
	for j, i := range idx {
		ids[j] = deskera.ID(evs[i].ContactID)
	}
	fetch := Call{Op: "contacts.multiple", Method: "POST", Path: "/v1/crm/contacts/multiple", Body: &deskera.MultipleContactsByIDRequest{ContactIDs: ids}}
	found, err := e.crm.GetContactsByIDs(ctx, ids)
	if err != nil {
		fail(fmt.Errorf("engine: get contacts: %w", err), fetch)
		return nil
	}
	byID := make(map[deskera.ID]*deskera.Contact, len(found))
	for k := range found {
		byID[found[k].ID] = &found[k]
	}
	col := &bulkCollector{chunk: cmp.Or(set.Sweep().ChunkSize, rules.DefaultChunkSize), index: map[bulkChange]int{}}
	for _, i := range idx {
		x := newExecution(e, set, evs[i], dry)
		x.bulk, x.slot = col, i
		x.record(fetch)
		errs[i] = x.act(ctx, byID[deskera.ID(evs[i].ContactID)])
		outs[i] = x.out
	}
	return col.flush(ctx, e, errs)
}

// lockAll takes the per-contact locks of the events, in key order (so two
// batches never wait for each other), and returns their release.
func (e *Engine) lockAll(ctx context.Context, set *rules.Set, evs []*rules.Event, idx []int) (func(), error) {
	var keys []string
	for _, i := range idx {
		if k := lockKey(evs[i], set.MatchOn()); k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var unlocks []func()
	release := func() {
		for _, u := range slices.Backward(unlocks) {
			u()
		}
	}
	for _, k := range keys {
		u, err := e.coord.Lock(ctx, k)
		if err != nil {
			release()
			return nil, sharedErr("lock contact", err)
		}
		unlocks = append(unlocks, u)
	}
	return release, nil
}

// bulkChange is one distinct bulk change: what one bulk PATCH
// /v1/crm/contacts sets on all its ids (a zero field is left alone). The
// sweep, reassign and ProcessBatch group contacts by it.
type bulkChange struct {
	label, owner deskera.ID
	vis, visIDs  string
}

// body is the bulk PATCH applying the change to ids.
func (ch bulkChange) body(ids []deskera.ID) *deskera.BulkUpdateContact {
	return &deskera.BulkUpdateContact{IDs: ids, LabelID: ch.label, OwnerID: ch.owner, VisibilityType: ch.vis, VisibilityIDs: ch.visIDs}
}

// bulkMember is one contact's part in a bulk change.
type bulkMember struct {
	x      *execution
	pieces []*deskera.ContactSaveDto
}

// bulkCollector gathers the bulk-able PATCHes of a batch.
type bulkCollector struct {
	chunk   int
	changes []bulkChange
	members [][]bulkMember
	index   map[bulkChange]int
}

// bulkable reports the change a PATCH body makes when a bulk PATCH can
// make it: label, owner and visibility only.
func bulkable(d *deskera.ContactSaveDto) (bulkChange, bool) {
	rest := *d
	rest.LabelID, rest.OwnerID, rest.VisibilityType, rest.VisibilityIDs = 0, 0, "", ""
	if !isEmptyDTO(&rest) {
		return bulkChange{}, false
	}
	return bulkChange{label: d.LabelID, owner: d.OwnerID, vis: d.VisibilityType, visIDs: d.VisibilityIDs}, true
}

func (c *bulkCollector) add(ch bulkChange, x *execution, pieces []*deskera.ContactSaveDto) {
	j, ok := c.index[ch]
	if !ok {
		j = len(c.changes)
		c.index[ch] = j
		c.changes = append(c.changes, ch)
		c.members = append(c.members, nil)
	}
	c.members[j] = append(c.members[j], bulkMember{x: x, pieces: slices.Clone(pieces)})
}

// flush sends the bulk PATCHes (plans them, in a dry run), settles the
// members' results, and returns the events to process again one by one
// (a bulk PATCH Deskera refused for a label it does not know).
func (c *bulkCollector) flush(ctx context.Context, e *Engine, errs []error) []int {
	var redo []int
	refreshed := false
	for j, ch := range c.changes {
		for chunk := range slices.Chunk(c.members[j], c.chunk) {
			ids := make([]deskera.ID, len(chunk))
			for k, m := range chunk {
				ids[k] = m.x.found.ID
			}
			body := ch.body(ids)
			call := Call{Op: "contacts.bulk_update", Method: "PATCH", Path: "/v1/crm/contacts", Body: body}
			var err error
			if !chunk[0].x.dry {
				err = e.bulkUpdate(ctx, body)
			}
			if err != nil && deskera.LabelMissing(err) && !refreshed {
				refreshed = true
				if rerr := e.labels.refresh(ctx, e.crm, nil); rerr == nil {
					e.log.Warn("engine: deskera does not know a cached label id; reloading the labels and processing the batch's events again", "err", err.Error())
				}
			}
			for _, m := range chunk {
				x := m.x
				x.record(call)
				switch {
				case err != nil && deskera.LabelMissing(err):
					redo = append(redo, x.slot)
				case err != nil:
					ferr := fmt.Errorf("engine: bulk update contacts: %w", err)
					x.settle(m.pieces, ActionFailed, int64(x.found.ID), ferr)
					errs[x.slot] = cmp.Or(errs[x.slot], ferr)
				case x.dry:
					x.settle(m.pieces, ActionPlanned, int64(x.found.ID), nil)
				default:
					x.settle(m.pieces, ActionUpdated, int64(x.found.ID), nil)
				}
			}
		}
	}
	slices.Sort(redo)
	return redo
}
