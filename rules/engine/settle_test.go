package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// lostCreate is a CRM whose next creates fail as if their answers were
// lost; applied says whether Deskera applied them anyway.
type lostCreate struct {
	engine.CRM
	lose    int
	applied bool
}

func (l *lostCreate) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	if l.lose == 0 {
		return l.CRM.CreateContact(ctx, d)
	}
	l.lose--
	if l.applied {
		if _, err := l.CRM.CreateContact(ctx, d); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("injected lost answer: %w", deskera.ErrOutcomeUnknown)
}

// lostFirstCreate prepares an engine on crm (rules.example.yaml, the given
// settle window, the clock *now) and processes a hot lead whose create
// answer crm loses: the attempt must fail with ErrOutcomeUnknown.
func lostFirstCreate(t *testing.T, crm engine.CRM, window time.Duration, now *time.Time) (*engine.Engine, *rules.Set) {
	t.Helper()
	eng, set := prepared(t, crm, engine.WithSettleWindow(window), engine.WithClock(func() time.Time { return *now }))
	if _, err := eng.Process(context.Background(), set, hotLead("jane@acme.io"), false); !errors.Is(err, deskera.ErrOutcomeUnknown) {
		t.Fatalf("first attempt: %v, want ErrOutcomeUnknown", err)
	}
	return eng, set
}

func TestSettleWindowAfterUnknownCreate(t *testing.T) {
	cases := []struct {
		name    string
		window  time.Duration
		advance time.Duration // between the first attempt and the retry
		wantErr bool          // the retry fails with ErrOutcomeUnknown
		creates int           // creates that reached the fake, in all
	}{
		{name: "RetryWithinWindowWaits", window: time.Minute, advance: 10 * time.Second, wantErr: true, creates: 0},
		{name: "RetryAfterWindowCreates", window: time.Minute, advance: 61 * time.Second, creates: 1},
		{name: "NoWindowCreatesAtOnce", window: 0, advance: time.Second, creates: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := deskeratest.NewServer(t)
			now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
			eng, set := lostFirstCreate(t, &lostCreate{CRM: srv.Client(), lose: 1}, tc.window, &now)
			now = now.Add(tc.advance)
			_, err := eng.Process(context.Background(), set, hotLead("jane@acme.io"), false)
			if got := errors.Is(err, deskera.ErrOutcomeUnknown); got != tc.wantErr {
				t.Errorf("retry: %v, want ErrOutcomeUnknown %v", err, tc.wantErr)
			}
			if got := srv.Count("contacts.create"); got != tc.creates {
				t.Errorf("%d creates reached Deskera, want %d", got, tc.creates)
			}
		})
	}
}

// A create Deskera applied although its answer was lost is found by the
// search the engine makes right after the failed create: the window never
// delays it, and nothing is duplicated.
func TestSettleWindowLateAppliedCreateFound(t *testing.T) {
	srv := deskeratest.NewServer(t)
	crm := &lostCreate{CRM: srv.Client(), lose: 1, applied: true}
	eng, set := prepared(t, crm, engine.WithSettleWindow(time.Hour))
	ctx := context.Background()
	if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); err != nil {
		t.Fatalf("first attempt: %v, want the re-search to find the applied create", err)
	}
	if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := srv.Count("contacts.create"); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	if n := len(srv.Contacts()); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
}

func TestSettleWindowRejectsNegative(t *testing.T) {
	if _, err := engine.NewEngine(deskeratest.NewServer(t).Client(), engine.WithSettleWindow(-time.Second)); err == nil {
		t.Error("negative window accepted")
	}
}

// stalledSearch is a CRM whose create answers are lost (the create is
// applied later, when apply is called) and whose next search, once
// stall is set, finds nothing and then takes stall on the engine's
// clock, during which Deskera applies the lost create.
type stalledSearch struct {
	engine.CRM
	lost  *deskera.ContactSaveDto
	stall func()
}

func (s *stalledSearch) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	if s.lost == nil {
		s.lost = d
		return nil, fmt.Errorf("injected lost answer: %w", deskera.ErrOutcomeUnknown)
	}
	return s.CRM.CreateContact(ctx, d)
}

func (s *stalledSearch) ListContacts(ctx context.Context, o *deskera.ListContactsOptions) (*deskera.ContactList, error) {
	list, err := s.CRM.ListContacts(ctx, o)
	if stall := s.stall; stall != nil && err == nil {
		s.stall = nil
		stall()
	}
	return list, err
}

// TestSettleWindowCountsFromTheSearch: a retry whose search ran inside the
// window must not create, even when the window has passed by the time it
// would (the engine stalled after the search, and Deskera applied the
// lost create meanwhile): the search that allows a create is one made
// after the window. The next retry finds the contact.
func TestSettleWindowCountsFromTheSearch(t *testing.T) {
	srv := deskeratest.NewServer(t)
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	crm := &stalledSearch{CRM: srv.Client()}
	eng, set := lostFirstCreate(t, crm, time.Minute, &now)
	ctx := context.Background()
	now = now.Add(59 * time.Second)
	crm.stall = func() {
		now = now.Add(2 * time.Second)
		if _, err := srv.Client().CreateContact(ctx, crm.lost); err != nil { // Deskera applies it late
			t.Fatal(err)
		}
	}
	if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); !errors.Is(err, deskera.ErrOutcomeUnknown) {
		t.Errorf("retry searched inside the window: %v, want ErrOutcomeUnknown", err)
	}
	if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); err != nil {
		t.Errorf("next retry: %v", err)
	}
	if n := len(srv.Contacts()); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
}
