package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/internal/digits"
	"github.com/leadhook/leadhook/rules"
)

// execution carries one plan out.
type execution struct {
	e     *Engine
	set   *rules.Set
	ev    *rules.Event
	dry   bool
	out   *Outcome
	found *deskera.Contact
	// searched is when the last lookup started: a create the settle
	// window held back is allowed only after a search that started once
	// the window was over (see unsettledCreate).
	searched time.Time
	// bulk, in a batch (ProcessBatch), collects the label, owner and
	// visibility PATCHes into bulk PATCHes; slot is the event's index.
	bulk *bulkCollector
	slot int
	// calls is the room of the outcome's first calls (a search and a
	// write is the common outcome).
	calls [2]Call
	// search is the lookup's contact search: the client is an interface,
	// so the options it is given a pointer to live on the heap, here
	// rather than in an allocation of their own.
	search searchOpts
}

// executionAlloc holds an execution and its outcome in one allocation.
type executionAlloc struct {
	x   execution
	out Outcome
}

// newExecution starts the execution of ev (its outcome included).
func newExecution(e *Engine, set *rules.Set, ev *rules.Event, dry bool) *execution {
	a := &executionAlloc{x: execution{e: e, set: set, ev: ev, dry: dry}, out: Outcome{DryRun: dry}}
	a.x.out = &a.out
	return &a.x
}

func (x *execution) record(c Call) {
	if x.out.Calls == nil {
		// A search and a write is the common outcome: room for both
		// in the execution, not an allocation per call.
		x.out.Calls = x.calls[:0]
	}
	x.out.Calls = append(x.out.Calls, c)
}

// lookup finds the event's contact: by event.contact_id, else by the
// set's match key (email or phone). A dry run makes these read-only calls
// too, so it plans an update (or nothing) for a contact that exists rather
// than a create; it only leaves out the writes.
func (x *execution) lookup(ctx context.Context) (*deskera.Contact, error) {
	x.searched = x.e.now()
	if x.ev.ContactID != 0 {
		id := deskera.ID(x.ev.ContactID)
		x.record(Call{Op: "contacts.get", Method: "GET", Path: "/v1/crm/contacts/" + strconv.FormatInt(x.ev.ContactID, 10)})
		c, err := x.e.crm.GetContact(ctx, id)
		if errors.Is(err, deskera.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("engine: get contact %d: %w", id, err)
		}
		return c, nil
	}
	var ok bool
	if x.search, ok = x.searchOptions(); !ok {
		return nil, nil
	}
	opts := &x.search
	var path [160]byte // the path and the query in one piece
	x.record(Call{Op: "contacts.list", Method: "GET", Path: string(opts.AppendQuery(append(path[:0], "/v1/crm/contacts?"...)))})
	list, err := x.e.crm.ListContacts(ctx, &opts.ListContactsOptions)
	if err != nil {
		return nil, fmt.Errorf("engine: search contact: %w", err)
	}
	for i := range list.Data {
		if opts.match(&list.Data[i]) {
			return &list.Data[i], nil
		}
	}
	return x.recentlyCreated(ctx)
}

// recentlyCreated returns a contact this process created for the key when
// the CRM's search does not show it yet.
func (x *execution) recentlyCreated(ctx context.Context) (*deskera.Contact, error) {
	key := lockKey(x.ev, x.set.MatchOn())
	id, ok := x.e.recent.get(key)
	if !ok {
		return nil, nil
	}
	x.record(Call{Op: "contacts.get", Method: "GET", Path: "/v1/crm/contacts/" + strconv.FormatInt(int64(id), 10)})
	c, err := x.e.crm.GetContact(ctx, id)
	if errors.Is(err, deskera.ErrNotFound) {
		x.e.recent.forget(key)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("engine: get contact %d: %w", id, err)
	}
	return c, nil
}

// searchOpts is a contact search and the key its exact matches have: the
// normalised email, or the phone's digits when byPhone.
type searchOpts struct {
	deskera.ListContactsOptions
	key     string
	byPhone bool
}

// match keeps the exact matches of the search only.
func (o *searchOpts) match(c *deskera.Contact) bool {
	if o.byPhone {
		return digits.Of(c.Phone) == o.key
	}
	return normEmail(c.Email) == o.key
}

// searchOptions builds the contact search for the event (false when it
// has neither an email nor a phone). A value with a match method, not a
// pointer and a closure: neither escapes, so the search allocates neither.
//
// The phone's digits are worked out only when the search may be by phone
// (matching on phone, or no email): a lead matched on its email does not
// pay for its formatted phone's digits.
func (x *execution) searchOptions() (searchOpts, bool) {
	email := normEmail(rules.Sender(x.ev))
	if x.set.MatchOn() == rules.MatchPhone || email == "" {
		if phone := digits.Of(x.ev.Phone); phone != "" {
			return searchOpts{ListContactsOptions: deskera.ListContactsOptions{Phone: x.ev.Phone, Limit: 10}, key: phone, byPhone: true}, true
		}
	}
	if email == "" {
		return searchOpts{}, false
	}
	return searchOpts{ListContactsOptions: deskera.ListContactsOptions{Email: email, Limit: 10}, key: email}, true
}

// customCode matches Deskera custom-field codes like D-0000013.
var customCode = regexp.MustCompile(`^[A-Z]+-[0-9]+$`)

// contactDTO turns resolved fields into a save body (label by name is
// resolved by the caller).
func contactDTO(f *rules.ContactFields) deskera.ContactSaveDto {
	d := deskera.ContactSaveDto{
		Name: f.Name, Email: f.Email, CountryCode: f.CountryCode, Phone: f.Phone, Address: f.Address,
		Note: f.Note, Logo: f.Logo, Type: f.Type, OrganizationName: f.OrganizationName,
		OrganizationID: deskera.ID(f.OrganizationID), OwnerID: deskera.ID(f.OwnerID), LabelID: deskera.ID(f.LabelID),
		VisibilityType: f.VisibilityType, VisibilityIDs: f.VisibilityIDs, PersonNames: f.PersonNames,
	}
	for _, id := range f.SubOwnerIDs {
		d.SubOwnerIDs = append(d.SubOwnerIDs, deskera.ID(id))
	}
	if len(f.Custom) > 0 {
		d.CustomField = make([]deskera.CustomField, 0, len(f.Custom))
	}
	var kb [8]string // the keys of a few custom fields sort on the stack
	keys := kb[:0]
	for k := range f.Custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cf := deskera.CustomField{Value: f.Custom[k]}
		if customCode.MatchString(k) {
			cf.Code = k
		} else {
			cf.Label, cf.ShortName = k, k
		}
		d.CustomField = append(d.CustomField, cf)
	}
	return d
}
