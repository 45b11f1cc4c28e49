package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules/engine"
)

// randomApply arms, before a seeded share of creates, a fault that applies
// the create and then answers 429, 503 or nothing.
type randomApply struct {
	engine.CRM
	srv  *deskeratest.Server
	mu   sync.Mutex
	rng  *rand.Rand
	rate float64
}

func (r *randomApply) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	r.mu.Lock()
	if r.rng.Float64() < r.rate {
		switch r.rng.IntN(3) {
		case 0:
			r.srv.FailNextAfterApply(1, http.StatusTooManyRequests, 0)
		case 1:
			r.srv.FailNextAfterApply(1, http.StatusServiceUnavailable, 0)
		default:
			r.srv.DropNextAfterApply(1)
		}
	}
	r.mu.Unlock()
	return r.CRM.CreateContact(ctx, d)
}

// TestFaultSoakNoDuplicates: 300 distinct leads plus 20% repeats, 30% of
// creates applied and then answered 429/503/lost, and 10% of all other
// requests failing with 503 or 429: every lead ends as exactly one
// contact with the later rule's owner, and no owner PATCH is needed.
// Deliveries run one at a time (the fake's fault queue is global), each
// redelivered until it succeeds, as a sender would.
func TestFaultSoakNoDuplicates(t *testing.T) {
	eng, set, srv := overrideEngine(t, func(srv *deskeratest.Server) engine.CRM {
		return &randomApply{CRM: srv.Client(), srv: srv, rng: rand.New(rand.NewPCG(14, 5)), rate: 0.3}
	})
	ctx := context.Background()
	srv.FailRate(0.1, http.StatusServiceUnavailable, http.StatusTooManyRequests)
	const leads = 300
	order := make([]int, 0, leads+leads/5)
	for i := range leads {
		order = append(order, i)
		if i%5 == 4 {
			order = append(order, i-2) // a repeat of an earlier lead
		}
	}
	for _, i := range order {
		ev := vipLead(fmt.Sprintf("lead%d@acme.io", i), "x")
		var err error
		for range 20 {
			if _, err = eng.Process(ctx, set, ev, false); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("lead %d never succeeded: %v", i, err)
		}
	}
	srv.FailRate(0)
	byEmail := map[string]int{}
	for _, c := range srv.Contacts() {
		byEmail[c.Email]++
		if c.OwnerID != laterOwner {
			t.Errorf("contact %s owner %d, want %d", c.Email, c.OwnerID, laterOwner)
		}
	}
	if len(byEmail) != leads {
		t.Errorf("%d distinct contacts, want %d", len(byEmail), leads)
	}
	for e, n := range byEmail {
		if n != 1 {
			t.Errorf("%s: %d contacts, want 1", e, n)
		}
	}
	if n := srv.Count("contacts.update"); n != 0 {
		t.Errorf("owner PATCHes = %d, want 0 (every owner right from the create)", n)
	}
}
