package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// TestSoakTwoReplicasSharedRedis: two leadhook processes (own engines,
// own Deskera clients) share one Redis and receive the same deliveries,
// alternating on every retry, against the faulty Deskera: each delivery
// acts once, so the fake ends with exactly one contact per lead.
func TestSoakTwoReplicasSharedRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("soak skipped in -short mode")
	}
	srv := redistest.Start(t)
	runSoak(t, 2, func() idempotency.Store { return srv.Store() })
}

// TestTwoReplicasSameDeliveries: every delivery is posted twice to each of
// two replicas sharing one Redis, all at once; each delivery acts exactly
// once (one create, one first-time 2xx), the rest are replays.
func TestTwoReplicasSameDeliveries(t *testing.T) {
	srv := redistest.Start(t)
	fake, _, deskeraURL := newFakeDeskera(t, 0)
	logs := &syncbuf.Buffer{}
	var reps []*replicaSetup
	for range 2 {
		reps = append(reps, newReplica(t, replicaOptions{deskeraURL: deskeraURL, store: srv.Store(), logs: logs, timeout: calmTimeout}))
	}
	const leads, copies = 60, 4
	s := &sender{t: t, client: &http.Client{Timeout: time.Minute}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range leads {
		l := lead{n: i, email: fmt.Sprintf("r%d@example.com", i), name: "R", budget: 15000, id: fmt.Sprintf("rep-%d", i), svix: i%2 == 0}
		for c := range copies {
			base := reps[c%2].srv.URL
			wg.Go(func() {
				<-start
				if a, err := s.post(l, base); err != nil || a.status != http.StatusOK {
					t.Errorf("lead %d: %d %v %s", l.n, a.status, err, a.body)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	fresh := 0
	for _, a := range s.answers {
		if !a.replayed {
			fresh++
		}
	}
	if n := fake.Count("contacts.create"); n != leads || len(fake.Contacts()) != leads || fresh != leads {
		t.Fatalf("%d creates, %d contacts, %d first-time answers; want %d each", n, len(fake.Contacts()), fresh, leads)
	}
	var ok float64
	for _, r := range reps {
		ok += counterSum(t, r.metrics, "leadhook_events_total", map[string]string{"outcome": "ok"})
	}
	if int(ok) != leads {
		t.Fatalf("events_total{outcome=ok} over both replicas = %v, want %d", ok, leads)
	}
	checkNoLeaks(t, logs.String(), s.answers)
}

// TestMailgunTokenSharedByReplicas: a Mailgun token seen by one replica
// is refused with other mail by another that shares its Redis (the
// service wires the idempotency store in as the seen-once store).
func TestMailgunTokenSharedByReplicas(t *testing.T) {
	srv := redistest.Start(t)
	const token = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"
	now := time.Unix(hostileClock, 0)
	replica := func() *harness {
		st := srv.Store()
		return newHarness(t, func(_ *harness, _ *handlers.ServerConfig, c *handlers.Config) {
			c.Store = st
			c.Webhook.Now = func() time.Time { return now }
		})
	}
	mail := func(from string) string {
		return url.Values{"timestamp": {strconv.Itoa(hostileClock)}, "token": {token},
			"signature": {hexHMAC("key-test", strconv.Itoa(hostileClock)+token)}, "from": {from}}.Encode()
	}
	a, b := replica(), replica()
	wantStatus(t, a.post("/hooks/inbound", "application/x-www-form-urlencoded", mail("Jane <jane@example.com>"), nil), http.StatusOK)
	wantStatus(t, b.post("/hooks/inbound", "application/x-www-form-urlencoded", mail("Eve <eve@example.com>"), nil), http.StatusUnauthorized)
	if n := len(b.deskera.Contacts()); n != 0 {
		t.Fatalf("the forged mail made %d contacts on the second replica", n)
	}
}
