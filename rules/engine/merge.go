package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// run merges the plan's actions into at most one POST or PATCH (or one
// DELETE) and performs it.
func (x *execution) run(ctx context.Context) error {
	plan := x.out.Plan
	x.out.Results = make([]ActionResult, len(plan.Actions))
	creating := x.found == nil && slices.ContainsFunc(plan.Actions, func(a rules.Action) bool {
		return a.Type == rules.ActionUpsertContact || a.Type == rules.ActionCreateContact
	})
	pieces := make([]*deskera.ContactSaveDto, len(plan.Actions))
	bodies := make([]deskera.ContactSaveDto, len(plan.Actions)) // the pieces' storage: one allocation, not one per action
	deleteAt, firstErr := -1, error(nil)
	for i, a := range plan.Actions {
		res := &x.out.Results[i]
		res.Rule, res.Type, res.ContactID = a.Rule, a.Type, x.foundID()
		switch {
		case a.Type == rules.ActionDeleteContact && x.found != nil:
			deleteAt = i
		case a.Type == rules.ActionCreateContact && x.found != nil:
			res.Outcome = ActionExists
		case x.found == nil && !creating:
			res.Outcome, res.Error = ActionSkipped, rules.ErrNoContact.Error()
		default:
			if err := x.piece(ctx, a, &bodies[i]); err != nil {
				res.Outcome, res.Error = ActionFailed, err.Error()
				firstErr = cmp.Or(firstErr, err)
				continue
			}
			pieces[i] = &bodies[i]
		}
	}
	var err error
	switch {
	case deleteAt >= 0:
		err = x.delete(ctx, deleteAt, pieces)
	case x.found != nil:
		err = x.patch(ctx, pieces)
	case creating:
		err = x.create(ctx, pieces)
	}
	return cmp.Or(err, firstErr)
}

// ContactChange is one change of one contact: the actions of a plan that merge
// into one write (two rules labelling the contact, an upsert carrying a
// label) change the contact once per action type, so they count once.
type ContactChange struct {
	Type      string
	Outcome   string
	ContactID int64
}

// Changes folds the per-action results of a plan into one ContactChange
// per contact, action type and outcome, in the order they first appear:
// what leadhook_actions_total counts.
func Changes(results []ActionResult) []ContactChange {
	out := make([]ContactChange, 0, len(results))
	for _, r := range results {
		c := ContactChange{Type: r.Type, Outcome: r.Outcome, ContactID: r.ContactID}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (x *execution) foundID() int64 {
	if x.found == nil {
		return 0
	}
	return int64(x.found.ID)
}

// piece fills d, a zero save body, with the one the action contributes.
func (x *execution) piece(ctx context.Context, a rules.Action, d *deskera.ContactSaveDto) error {
	label := a.Label
	switch a.Type {
	case rules.ActionAssignOwner:
		d.OwnerID = deskera.ID(a.OwnerID)
	case rules.ActionSetVisibility:
		d.VisibilityType, d.VisibilityIDs = a.Visibility, a.VisibilityIDs
	case rules.ActionUpsertContact, rules.ActionCreateContact, rules.ActionUpdateContact:
		if a.Fields != nil {
			*d = contactDTO(a.Fields)
			label = a.Fields.Label
		}
	}
	if label != "" {
		if _, ok := x.e.labels.get(label); !ok && x.dry {
			// A dry run reads the labels (a read-only call) so that it
			// plans with the ids Deskera has; it never creates one.
			if err := x.e.labels.refresh(ctx, x.e.crm, x.record); err != nil {
				return fmt.Errorf("engine: list labels: %w", err)
			}
		}
		id, err := x.e.resolveLabel(ctx, x.set, label, x.dry, x.record)
		if err != nil {
			return err
		}
		d.LabelID = id
	}
	return nil
}

// merge overlays the non-zero fields of src on dst.
func merge(dst, src *deskera.ContactSaveDto) {
	for _, f := range deskera.ContactFields {
		f.Merge(dst, src)
	}
	if len(src.CustomField) > 0 {
		dst.CustomField = slices.Grow(dst.CustomField, len(src.CustomField))
	}
	for _, cf := range src.CustomField {
		mergeCustom(dst, cf)
	}
}

// mergeCustom sets the custom field cf on dst: it replaces the field of
// the same code and label, else it is appended.
func mergeCustom(dst *deskera.ContactSaveDto, cf deskera.CustomField) {
	for i := range dst.CustomField {
		if o := &dst.CustomField[i]; o.Code == cf.Code && o.Label == cf.Label {
			*o = cf
			return
		}
	}
	dst.CustomField = append(dst.CustomField, cf)
}

// mergeAll merges the plan's pieces in plan order. The precedence is the
// same for a create and an update: a later action wins over an earlier one
// for every field it sets (a later assign_owner overrides the pool route of
// an earlier rule); custom fields merge by name, the later value winning.
//
// extra is how many more custom fields the caller adds (the score's, see
// withScore): the merged custom fields are made once, with room for all.
func mergeAll(pieces []*deskera.ContactSaveDto, extra int) *deskera.ContactSaveDto {
	d := &deskera.ContactSaveDto{}
	n := extra
	for _, p := range pieces {
		if p != nil {
			n += len(p.CustomField)
		}
	}
	if n > 0 {
		d.CustomField = make([]deskera.CustomField, 0, n)
	}
	for _, p := range pieces {
		if p != nil {
			merge(d, p)
		}
	}
	return d
}

func (x *execution) create(ctx context.Context, pieces []*deskera.ContactSaveDto) error {
	var sb [3]rules.StoredField
	stored := x.scoreFields(sb[:0])
	dto := withScore(mergeAll(pieces, len(stored)), stored)
	if dto.Email == "" && x.set.MatchOn() == rules.MatchEmail {
		dto.Email = normEmail(rules.Sender(x.ev))
	}
	if dto.Phone == "" {
		dto.Phone = x.ev.Phone
	}
	x.record(Call{Op: "contacts.create", Method: "POST", Path: "/v1/crm/contacts", Body: dto})
	if x.dry {
		x.settle(pieces, ActionPlanned, 0, nil)
		return nil
	}
	key := lockKey(x.ev, x.set.MatchOn())
	if err := x.unsettledCreate(ctx, key); err != nil {
		x.settle(pieces, ActionFailed, 0, err)
		return err
	}
	c, err := x.e.crm.CreateContact(ctx, dto)
	if err != nil {
		err = fmt.Errorf("engine: create contact: %w", scoreRefused(x.set, err, x.scoreWritten()))
		if errors.Is(err, deskera.ErrOutcomeUnknown) && x.e.settle > 0 {
			if merr := x.e.coord.MarkUnsettled(ctx, key, x.e.now(), x.e.settle); merr != nil {
				x.e.log.ErrorContext(ctx, "engine: recording an unsettled create failed", "err", merr.Error())
				err = fmt.Errorf("%w (and recording it: %w)", err, sharedErr("mark unsettled create", merr))
			}
		}
		if found, ok := x.landed(ctx, key); ok {
			return x.adopt(ctx, found, pieces)
		}
		x.settle(pieces, ActionFailed, 0, err)
		return err
	}
	var id deskera.ID
	if c != nil {
		id = c.ID
		x.e.recent.add(key, id)
		if id != 0 {
			// The contact the plan ended with (see handoffs): what the
			// POST carried, with the id Deskera gave it.
			x.found = afterWrite(&deskera.Contact{ID: id}, dto)
		}
	}
	x.settle(pieces, ActionCreated, int64(id), nil)
	return nil
}

// landed searches again after a failed create: Deskera may have applied
// it and still answered 429 or 5xx, or the answer may have been lost. The
// client never retries a create by itself (see deskera.CreateContact), so
// this search, not a second POST, is the next try.
func (x *execution) landed(ctx context.Context, key string) (*deskera.Contact, bool) {
	found, err := x.lookup(ctx)
	if err != nil || found == nil {
		return nil, false
	}
	if err := x.e.coord.Settle(ctx, key); err != nil {
		x.e.log.WarnContext(ctx, "engine: forgetting a settled create failed; it expires with the window", "err", err.Error())
	}
	x.e.recent.add(key, found.ID)
	return found, true
}

// adopt finishes a plan whose create landed although it failed: the
// contact found is the one created, and whatever it still lacks is patched.
func (x *execution) adopt(ctx context.Context, found *deskera.Contact, pieces []*deskera.ContactSaveDto) error {
	x.found = found
	x.bulk = nil // its outcomes are settled here, not with a batch
	err := x.patch(ctx, slices.Clone(pieces))
	for i, p := range pieces {
		if r := &x.out.Results[i]; p != nil && (r.Outcome == ActionUnchanged || r.Outcome == ActionUpdated) {
			r.Outcome, r.ContactID = ActionCreated, int64(found.ID)
		}
	}
	return err
}

// unsettledCreate refuses to create the contact while an earlier create
// for key, whose outcome is unknown, may still be applied by Deskera (see
// WithSettleWindow). The window is compared with the time this attempt's
// search started, not with the time of the create: a search made inside
// the window may have missed a create Deskera applied after it, however
// long the engine then took to get here. The error matches
// deskera.ErrOutcomeUnknown, so the sender is told to retry later (and
// its retry searches again).
// A store that does not answer is a temporary failure too: nothing is
// created without knowing.
func (x *execution) unsettledCreate(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	at, ok, err := x.e.coord.Unsettled(ctx, key)
	if err != nil {
		return sharedErr("read unsettled create", err)
	}
	if !ok {
		return nil
	}
	searched := x.searched
	if searched.IsZero() {
		searched = x.e.now()
	}
	wait := x.e.settle - searched.Sub(at)
	if wait <= 0 {
		_ = x.e.coord.Settle(ctx, key)
		return nil
	}
	return fmt.Errorf("engine: create contact: an earlier create of this contact may still be applied by Deskera; not creating it again for %v: %w",
		wait.Round(time.Millisecond), deskera.ErrOutcomeUnknown)
}

// patch merges the plan's pieces first (later rule wins, see mergeAll) and
// then compares the merged result with the contact once: an action that a
// later one overrides never reaches Deskera, so a repeat of an unchanged
// lead costs the search only (no flip-flop between two owners). An action
// is reported unchanged when it alone would change nothing, or when the
// merged plan changes nothing; otherwise updated (it is part of the PATCH
// sent, even where a later action overrides it).
func (x *execution) patch(ctx context.Context, pieces []*deskera.ContactSaveDto) error {
	var sb [3]rules.StoredField
	var stored []rules.StoredField
	if slices.ContainsFunc(pieces, func(p *deskera.ContactSaveDto) bool { return p != nil }) {
		stored = x.scoreFields(sb[:0])
	}
	merged := withScore(mergeAll(pieces, len(stored)), stored)
	dto := diff(merged, x.found)
	for i, p := range pieces {
		if p != nil && changesNothing(p, x.found) {
			x.out.Results[i].Outcome = ActionUnchanged
			pieces[i] = nil
		}
	}
	if onlyWriteOnly(dto) {
		for i := range pieces {
			if pieces[i] != nil {
				x.out.Results[i].Outcome = ActionUnchanged
				pieces[i] = nil
			}
		}
		return nil
	}
	if x.bulk != nil {
		if ch, ok := bulkable(dto); ok {
			x.bulk.add(ch, x, pieces) // sent with the batch's other contacts
			return nil
		}
	}
	id := x.found.ID
	x.record(Call{Op: "contacts.update", Method: "PATCH", Path: "/v1/crm/contacts/" + strconv.FormatInt(int64(id), 10), Body: dto})
	if x.dry {
		x.settle(pieces, ActionPlanned, int64(id), nil)
		return nil
	}
	if _, err := x.e.crm.UpdateContact(ctx, id, dto); err != nil {
		err = fmt.Errorf("engine: update contact %d: %w", id, scoreRefused(x.set, err, x.scoreWritten()))
		x.settle(pieces, ActionFailed, int64(id), err)
		return err
	}
	x.settle(pieces, ActionUpdated, int64(id), nil)
	// The contact the plan ended with (see handoffs): the one it found with
	// this PATCH applied, not Deskera's reply, which may leave fields out.
	x.found = afterWrite(x.found, dto)
	return nil
}

func (x *execution) delete(ctx context.Context, at int, pieces []*deskera.ContactSaveDto) error {
	id := x.found.ID
	for i, p := range pieces {
		if p != nil {
			x.out.Results[i].Outcome, x.out.Results[i].Error = ActionSkipped, "contact is deleted by this plan"
		}
	}
	for i, a := range x.out.Plan.Actions {
		if i != at && a.Type == rules.ActionDeleteContact {
			x.out.Results[i].Outcome = ActionSkipped
		}
	}
	res := &x.out.Results[at]
	x.record(Call{Op: "contacts.delete", Method: "DELETE", Path: "/v1/crm/contacts/" + strconv.FormatInt(int64(id), 10)})
	if x.dry {
		res.Outcome = ActionPlanned
		return nil
	}
	if err := x.e.crm.DeleteContact(ctx, id); err != nil && !errors.Is(err, deskera.ErrNotFound) {
		res.Outcome, res.Error = ActionFailed, err.Error()
		return fmt.Errorf("engine: delete contact %d: %w", id, err)
	}
	x.e.recent.forget(lockKey(x.ev, x.set.MatchOn()))
	x.found = nil // gone: the next delivery searches (see handoffs)
	res.Outcome = ActionDeleted
	return nil
}

// withScore adds the plan's score to d's custom fields when the score the
// contact stores changes (see Scoring.Write): it rides in the POST or
// PATCH the plan makes anyway, and a changed score alone makes the PATCH
// of a plan that acts on the contact; an unchanged score adds nothing.
// stored are the score's custom fields (scoreFields).
func withScore(d *deskera.ContactSaveDto, stored []rules.StoredField) *deskera.ContactSaveDto {
	// The score's custom fields go straight onto d, as merge would put
	// them, without a body and a list to carry them there.
	d.CustomField = slices.Grow(d.CustomField, len(stored))
	for _, f := range stored {
		mergeCustom(d, customField(f.Key, f.Value))
	}
	return d
}

// scoreFields appends to buf the custom fields the plan's score writes
// (none when it writes none, see withScore).
func (x *execution) scoreFields(buf []rules.StoredField) []rules.StoredField {
	sc := x.out.Plan.Scoring
	if sc == nil || sc.Write == nil {
		return buf
	}
	return x.set.AppendStoredFields(buf, sc.Write)
}

// scoreWritten reports whether the plan's POST or PATCH carries the score.
func (x *execution) scoreWritten() bool {
	sc := x.out.Plan.Scoring
	return sc != nil && sc.Write != nil
}

// settle sets the outcome of every action that contributed a piece.
func (x *execution) settle(pieces []*deskera.ContactSaveDto, outcome string, id int64, err error) {
	for i, p := range pieces {
		if p == nil {
			continue
		}
		r := &x.out.Results[i]
		r.Outcome, r.ContactID = outcome, id
		if err != nil {
			r.Error = err.Error()
		}
	}
}

// diff keeps the fields of d that would change c. When any custom field
// changes, the result carries the contact's whole custom_field list with the
// changed entries replaced and the new ones appended (entries keep the code
// Deskera gave them): the API document does not say that a PATCH merges
// custom_field, so a PATCH carrying only the changed entry may erase the
// others.
func diff(d *deskera.ContactSaveDto, c *deskera.Contact) *deskera.ContactSaveDto {
	out := *d
	for _, f := range deskera.ContactFields {
		if f.Same != nil && f.Same(&out, c) {
			f.Clear(&out)
		}
	}
	out.CustomField = mergedCustom(d.CustomField, c)
	return &out
}

// mergedCustom is the contact's custom_field list with want applied, or nil
// when want changes nothing.
func mergedCustom(want []deskera.CustomField, c *deskera.Contact) []deskera.CustomField {
	changed := false
	for _, cf := range want {
		if !hasCustom(c, cf) {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	out := slices.Clone(c.CustomField)
	// c_field entries without a custom_field entry are kept too.
	keys := make([]string, 0, len(c.CField))
	for k := range c.CField {
		if !slices.ContainsFunc(out, func(o deskera.CustomField) bool { return o.ShortName == k || o.Label == k }) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, deskera.CustomField{Label: k, ShortName: k, Value: c.CField[k]})
	}
	for _, cf := range want {
		i := slices.IndexFunc(out, func(o deskera.CustomField) bool { return sameCustom(o, cf) })
		if i < 0 {
			out = append(out, cf)
			continue
		}
		out[i].Value = cf.Value
		if out[i].Code == "" {
			out[i].Code = cf.Code
		}
	}
	return out
}

// sameCustom reports whether the contact's entry o is the field cf names
// (by code, else by label or short name).
func sameCustom(o, cf deskera.CustomField) bool {
	if cf.Code != "" && o.Code == cf.Code {
		return true
	}
	return cf.Label != "" && (o.Label == cf.Label || o.ShortName == cf.Label)
}

func hasCustom(c *deskera.Contact, cf deskera.CustomField) bool {
	for _, o := range c.CustomField {
		if sameCustom(o, cf) && o.Value == cf.Value {
			return true
		}
	}
	v, ok := c.CField[cf.Label]
	return cf.Label != "" && ok && v == cf.Value
}

// onlyWriteOnly reports whether d changes nothing but fields Deskera never
// returns on a contact (organization_name, person_names, logo). leadhook
// cannot tell whether those differ, so they ride along with a PATCH other
// changes make but never cause one: otherwise every repeat of a lead that
// names its company would cost a PATCH.
func onlyWriteOnly(d *deskera.ContactSaveDto) bool {
	for _, f := range deskera.ContactFields {
		if !f.WriteOnly && !f.Empty(d) {
			return false
		}
	}
	return len(d.CustomField) == 0
}

// changesNothing is onlyWriteOnly(diff(d, c)) without the copy: every
// field d sets is write-only or already held by c.
func changesNothing(d *deskera.ContactSaveDto, c *deskera.Contact) bool {
	for _, f := range deskera.ContactFields {
		if !f.Empty(d) && !f.WriteOnly && (f.Same == nil || !f.Same(d, c)) {
			return false
		}
	}
	return len(mergedCustom(d.CustomField, c)) == 0
}

func isEmptyDTO(d *deskera.ContactSaveDto) bool {
	for _, f := range deskera.ContactFields {
		if !f.Empty(d) {
			return false
		}
	}
	return len(d.CustomField) == 0
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
