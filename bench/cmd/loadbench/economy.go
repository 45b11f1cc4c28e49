package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// economyCase is one CRM call count, read from the fake's counters.
type economyCase struct {
	Name    string
	Calls   map[string]int
	Total   int
	Naive   int    // one call per action per contact
	NaiveIs string // how Naive was counted
	// BulkBound, when set, is the most bulk PATCHes the case may make.
	BulkBound int
	BoundIs   string
}

// sweepContacts is the size of the relabel sweep.
const sweepContacts = 10000

// measureEconomy runs the example rules through the engine against the
// in-process fake Deskera: a new hot lead, the same lead again for an
// existing (Cold) contact, an unchanged repeat, and a relabel sweep.
func measureEconomy(ctx context.Context, example string) ([]economyCase, error) {
	set, err := rules.LoadFile(example)
	if err != nil {
		return nil, err
	}
	ev, err := parsedLead(leadEmail("economy", 1))
	if err != nil {
		return nil, err
	}
	fake, eng, err := preparedEngine(ctx, set)
	if err != nil {
		return nil, err
	}
	var out []economyCase
	step := func(name string, c economyCase, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.Name = name
		out = append(out, c)
		return nil
	}
	c, err := processCounted(ctx, fake, eng, set, ev)
	if err := step("new hot lead (website form, unknown email)", c, err); err != nil {
		return nil, err
	}
	fake2, eng2, err := preparedEngine(ctx, set)
	if err != nil {
		return nil, err
	}
	fake2.AddContact(deskera.Contact{Name: "Jane Example", Email: ev.Email, LabelID: 2, OwnerID: 21584}) // Cold lead
	c, err = processCounted(ctx, fake2, eng2, set, ev)
	if err := step("update of an existing lead (Cold -> Hot, new note and fields)", c, err); err != nil {
		return nil, err
	}
	c, err = processCounted(ctx, fake2, eng2, set, ev)
	if err := step("the same lead again (no new data)", c, err); err != nil {
		return nil, err
	}
	c, err = sweepCounted(ctx, set)
	if err := step(fmt.Sprintf("relabel sweep of %d contacts", sweepContacts), c, err); err != nil {
		return nil, err
	}
	c, err = reassignCounted(ctx, set)
	if err := step(fmt.Sprintf("%s of %d contacts of one owner to the sales pool (3 owners)", reassignCase, sweepContacts), c, err); err != nil {
		return nil, err
	}
	c, err = batchCounted(ctx, set)
	if err := step(fmt.Sprintf("Deskera webhook listing %d contacts (departed owner, won deals)", batchContacts), c, err); err != nil {
		return nil, err
	}
	return out, nil
}

// reassignCase names the reassign economy case (targets find it by it).
const reassignCase = "leadhook reassign"

// batchContacts is the size of the Deskera webhook batch.
const batchContacts = 4

// reassignCounted hands sweepContacts contacts of a departed owner to the
// example's sales pool, as `leadhook reassign --from-owner 99999 --pool
// sales` does. BulkBound is ceil(contacts/chunk) x owners.
func reassignCounted(ctx context.Context, set *rules.Set) (economyCase, error) {
	fake, eng, err := preparedEngine(ctx, set)
	if err != nil {
		return economyCase{}, err
	}
	for i := range sweepContacts {
		fake.AddContact(deskera.Contact{Name: "Rep contact", Email: fmt.Sprintf("rep-%d@example.com", i), OwnerID: 99999})
	}
	fake.ResetCounts()
	res, err := eng.Reassign(ctx, set, rules.ReassignTarget{FromOwner: 99999, Pool: "sales"}, engine.SweepOptions{})
	if err != nil {
		return economyCase{}, err
	}
	owners := 0
	for _, p := range set.Pools() {
		if p.Name == "sales" {
			owners = len(p.Owners)
		}
	}
	chunk := set.Sweep().ChunkSize
	return economyCase{Calls: fake.Counts(), Total: fake.Total(), Naive: res.Reassigned,
		NaiveIs:   fmt.Sprintf("%d contacts reassigned, one PATCH each (reads not counted)", res.Reassigned),
		BulkBound: (sweepContacts + chunk - 1) / chunk * owners,
		BoundIs:   fmt.Sprintf("ceil(%d/%d chunk) x %d owners", sweepContacts, chunk, owners)}, nil
}

// batchCounted posts a Deskera webhook listing batchContacts contacts
// through the engine's batch path: two of a departed owner (to the sales
// pool), two won deals (Customer, owner 17826). Naive: a GET and a PATCH each.
func batchCounted(ctx context.Context, set *rules.Set) (economyCase, error) {
	fake, eng, err := preparedEngine(ctx, set)
	if err != nil {
		return economyCase{}, err
	}
	evs := make([]*rules.Event, batchContacts)
	for i := range evs {
		// A stored score (Lead score) above the event's: the plans change
		// owner and label only (a score to write would make a PATCH each).
		c := fake.AddContact(deskera.Contact{Name: "C", Email: fmt.Sprintf("batch-%d@example.com", i), OwnerID: 99999,
			CustomField: []deskera.CustomField{{Label: "Lead score", Value: "30"}, {Label: "Lead score at", Value: time.Now().UTC().Format(time.RFC3339)}}})
		fields := map[string]any{"event_type": "UPDATE_CRM_CONTACT"}
		if i >= batchContacts/2 {
			fields["deal_status"] = "won"
		}
		evs[i] = &rules.Event{ID: fmt.Sprintf("batch#%d", i), Source: "deskera", Kind: rules.KindCRM, ReceivedAt: time.Now(),
			Email: c.Email, ContactID: int64(c.ID), Fields: fields}
	}
	fake.ResetCounts()
	_, errs := eng.ProcessBatch(ctx, set, evs, false)
	for _, err := range errs {
		if err != nil {
			return economyCase{}, err
		}
	}
	return economyCase{Calls: fake.Counts(), Total: fake.Total(), Naive: 2 * batchContacts,
		NaiveIs: fmt.Sprintf("a GET and a PATCH per contact, %d contacts", batchContacts)}, nil
}

// parsedLead is the benchmark lead as leadhook's JSON parser produces it.
func parsedLead(email string) (*rules.Event, error) {
	p, err := webhook.NewParser(rules.Source{Name: "website", Format: "json"}, webhook.Options{})
	if err != nil {
		return nil, err
	}
	req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/website", Body: jsonLead(email),
		Header: headerOf("Content-Type", "application/json"), RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}
	parsed, err := p.Parse(context.Background(), req)
	if err != nil {
		return nil, err
	}
	if len(parsed.Events) != 1 {
		return nil, fmt.Errorf("parsed %d events, want 1", len(parsed.Events))
	}
	return &parsed.Events[0], nil
}

// preparedEngine returns a fresh fake and an engine whose labels are
// prepared, with the fake's counters reset.
func preparedEngine(ctx context.Context, set *rules.Set) (*deskeratest.Fake, *engine.Engine, error) {
	fake := deskeratest.New()
	client, err := deskera.NewClient(deskera.WithBaseURL("http://deskera.invalid"),
		deskera.WithAccessToken(deskeratest.DefaultToken), deskera.WithRateLimit(0, 0),
		deskera.WithHTTPClient(&http.Client{Transport: fake.Transport()}))
	if err != nil {
		return nil, nil, err
	}
	eng, err := engine.NewEngine(client)
	if err != nil {
		return nil, nil, err
	}
	if err := eng.Prepare(ctx, set); err != nil {
		return nil, nil, err
	}
	fake.ResetCounts()
	return fake, eng, nil
}

func processCounted(ctx context.Context, fake *deskeratest.Fake, eng *engine.Engine, set *rules.Set, ev *rules.Event) (economyCase, error) {
	fake.ResetCounts()
	e := *ev
	out, err := eng.Process(ctx, set, &e, false)
	if err != nil {
		return economyCase{}, err
	}
	return economyCase{Calls: fake.Counts(), Total: fake.Total(), Naive: len(out.Plan.Actions),
		NaiveIs: fmt.Sprintf("%d actions planned", len(out.Plan.Actions))}, nil
}

func sweepCounted(ctx context.Context, set *rules.Set) (economyCase, error) {
	fake, eng, err := preparedEngine(ctx, set)
	if err != nil {
		return economyCase{}, err
	}
	fake.SeedContacts(sweepContacts) // "No label": each scores Cold lead
	fake.ResetCounts()
	res, err := eng.Sweep(ctx, set, engine.SweepOptions{})
	if err != nil {
		return economyCase{}, err
	}
	return economyCase{Calls: fake.Counts(), Total: fake.Total(), Naive: res.Changed,
		NaiveIs: fmt.Sprintf("%d contacts relabelled, one PATCH each (reads not counted)", res.Changed)}, nil
}
