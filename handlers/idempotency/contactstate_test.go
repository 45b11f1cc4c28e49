package idempotency_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// lateCreate is a CRM whose next create is answered as lost
// (ErrOutcomeUnknown) and applied by Deskera only later, when the test
// calls land: the search right after the failed create, and a retry's
// search before land, do not see it (Deskera's create takes no
// idempotency key, so this is the case the settle window guards).
type lateCreate struct {
	engine.CRM
	mu      sync.Mutex
	lose    int
	pending []*deskera.ContactSaveDto
}

func (l *lateCreate) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	l.mu.Lock()
	if l.lose > 0 {
		l.lose--
		l.pending = append(l.pending, d)
		l.mu.Unlock()
		return nil, fmt.Errorf("injected lost answer: %w", deskera.ErrOutcomeUnknown)
	}
	l.mu.Unlock()
	return l.CRM.CreateContact(ctx, d)
}

// land applies the creates whose answers were lost.
func (l *lateCreate) land(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.pending {
		if _, err := l.CRM.CreateContact(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	l.pending = nil
}

// replicas builds engines on one Deskera fake as separate processes
// would: with shared, each on its own client of one Redis.
type replicas struct {
	t      *testing.T
	fake   *deskeratest.Server
	redis  *redistest.Server
	set    *rules.Set
	now    time.Time
	window time.Duration
}

func newReplicas(t *testing.T, shared bool) *replicas {
	t.Helper()
	r := &replicas{t: t, fake: deskeratest.NewServer(t), now: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), window: time.Minute}
	if shared {
		r.redis = redistest.Start(t)
	}
	r.set = handlerstest.ExampleRules(t)
	return r
}

// engine starts one replica on crm (the fake's client when nil); wrap, if
// given, wraps its coordinator (shared only).
func (r *replicas) engine(crm engine.CRM, wrap func(engine.ContactCoordinator) engine.ContactCoordinator) *engine.Engine {
	r.t.Helper()
	if crm == nil {
		crm = r.fake.Client()
	}
	opts := []engine.EngineOption{engine.WithSettleWindow(r.window), engine.WithClock(func() time.Time { return r.now })}
	if r.redis != nil {
		cs, err := idempotency.NewContactState(r.redis.Client())
		if err != nil {
			r.t.Fatal(err)
		}
		var c engine.ContactCoordinator = cs
		if wrap != nil {
			c = wrap(c)
		}
		opts = append(opts, engine.WithContactCoordinator(c))
	}
	return handlerstest.Engine(r.t, crm, r.set, opts...)
}

func lead(email string) *rules.Event {
	return &rules.Event{ID: "d1", Source: "website", Kind: rules.KindForm, Email: email, Name: "Jane Doe",
		ReceivedAt: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC),
		Fields:     map[string]any{"budget": "$20,000", "message": "pricing please", "company_size": "80"}}
}

// variants: the shared Redis state gives 1 contact; the in-memory default
// (each replica its own memory) gives 2, which is the bug being fixed.
var variants = []struct {
	name     string
	shared   bool
	contacts int
}{
	{"SharedRedis", true, 1},
	{"MemoryDefaultDuplicates", false, 2},
}

// TestSharedSettleWindowAcrossReplicas: a create lost on replica 1 (Deskera
// applies it late), then the sender's retry on replica 2 inside the
// window: replica 2 must not create (503, the sender retries), and after
// the late create lands the retry finds it: 1 contact.
func TestSharedSettleWindowAcrossReplicas(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			r := newReplicas(t, v.shared)
			crm1 := &lateCreate{CRM: r.fake.Client(), lose: 1}
			one, two := r.engine(crm1, nil), r.engine(nil, nil)
			ctx := context.Background()
			if _, err := one.Process(ctx, r.set, lead("jane@acme.io"), false); !errors.Is(err, deskera.ErrOutcomeUnknown) {
				t.Fatalf("replica 1: %v, want ErrOutcomeUnknown", err)
			}
			r.now = r.now.Add(10 * time.Second)
			_, err := two.Process(ctx, r.set, lead("jane@acme.io"), false)
			if v.shared {
				if f := engine.Classify(err); !errors.Is(err, deskera.ErrOutcomeUnknown) || f.Final {
					t.Fatalf("replica 2 inside the window: %v (%+v), want a temporary ErrOutcomeUnknown", err, f)
				}
			}
			crm1.land(t)
			if _, err := two.Process(ctx, r.set, lead("jane@acme.io"), false); err != nil {
				t.Fatalf("replica 2 after the late create landed: %v", err)
			}
			if n := len(r.fake.Contacts()); n != v.contacts {
				t.Errorf("%d contacts, want %d", n, v.contacts)
			}
		})
	}
}

// TestSharedSettleWindowSurvivesRestart: a new engine (the process
// restarted) on the same Redis, inside the window, does not create again.
func TestSharedSettleWindowSurvivesRestart(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			r := newReplicas(t, v.shared)
			crm := &lateCreate{CRM: r.fake.Client(), lose: 1}
			ctx := context.Background()
			if _, err := r.engine(crm, nil).Process(ctx, r.set, lead("jane@acme.io"), false); !errors.Is(err, deskera.ErrOutcomeUnknown) {
				t.Fatalf("before the restart: %v, want ErrOutcomeUnknown", err)
			}
			restarted := r.engine(crm, nil)
			_, err := restarted.Process(ctx, r.set, lead("jane@acme.io"), false)
			if v.shared && !errors.Is(err, deskera.ErrOutcomeUnknown) {
				t.Fatalf("after the restart inside the window: %v, want ErrOutcomeUnknown", err)
			}
			crm.land(t)
			if _, err := restarted.Process(ctx, r.set, lead("jane@acme.io"), false); err != nil {
				t.Fatal(err)
			}
			if n := len(r.fake.Contacts()); n != v.contacts {
				t.Errorf("%d contacts, want %d", n, v.contacts)
			}
		})
	}
}

// gateCreate holds its create until release is closed, after telling
// entered.
type gateCreate struct {
	engine.CRM
	entered, release chan struct{}
	once             sync.Once
}

func (g *gateCreate) CreateContact(ctx context.Context, d *deskera.ContactSaveDto) (*deskera.Contact, error) {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.CRM.CreateContact(ctx, d)
}

// searched tells arrived once its search has answered.
type searched struct {
	engine.CRM
	arrived func()
}

func (s *searched) ListContacts(ctx context.Context, o *deskera.ListContactsOptions) (*deskera.ContactList, error) {
	l, err := s.CRM.ListContacts(ctx, o)
	s.arrived()
	return l, err
}

// locking tells arrived when it starts waiting for a lock.
type locking struct {
	engine.ContactCoordinator
	arrived func()
}

func (l *locking) Lock(ctx context.Context, key string) (func(), error) {
	l.arrived()
	return l.ContactCoordinator.Lock(ctx, key)
}

// TestSharedLockConcurrentReplicas: one new email delivered to two
// replicas at once. Replica 1 is held inside its create until replica 2
// has either asked for the lock (shared: it then waits) or searched
// (memory: it found nothing and creates too); no sleeps.
func TestSharedLockConcurrentReplicas(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			r := newReplicas(t, v.shared)
			gate := &gateCreate{CRM: r.fake.Client(), entered: make(chan struct{}), release: make(chan struct{})}
			var once sync.Once
			arrived := func() { once.Do(func() { close(gate.release) }) }
			one := r.engine(gate, nil)
			two := r.engine(&searched{CRM: r.fake.Client(), arrived: arrived}, func(c engine.ContactCoordinator) engine.ContactCoordinator {
				return &locking{ContactCoordinator: c, arrived: arrived}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			errs := make(chan error, 2)
			go func() { _, err := one.Process(ctx, r.set, lead("jane@acme.io"), false); errs <- err }()
			<-gate.entered
			go func() { _, err := two.Process(ctx, r.set, lead("Jane@Acme.io"), false); errs <- err }()
			for range 2 {
				if err := <-errs; err != nil {
					t.Errorf("process: %v", err)
				}
			}
			if n := r.fake.Count("contacts.create"); n != v.contacts {
				t.Errorf("%d creates, want %d", n, v.contacts)
			}
		})
	}
}

// TestSharedStateDownIsTemporary: with Redis down an event fails as a
// temporary failure (503) and nothing is created.
func TestSharedStateDownIsTemporary(t *testing.T) {
	r := newReplicas(t, true)
	eng := r.engine(nil, nil)
	r.redis.Stop()
	_, err := eng.Process(context.Background(), r.set, lead("jane@acme.io"), false)
	f := engine.Classify(err)
	if !errors.Is(err, engine.ErrSharedState) || f.Final || f.Cause != engine.CauseSharedState || f.RetryAfter <= 0 {
		t.Fatalf("err %v, failure %+v: want a temporary shared-state failure", err, f)
	}
	if n := r.fake.Count("contacts.create"); n != 0 {
		t.Errorf("%d creates with the shared state down, want 0", n)
	}
}

func TestContactState(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	cs, err := idempotency.NewContactState(srv.Client(), idempotency.WithLockWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	other, err := idempotency.NewContactState(srv.Client(), idempotency.WithLockWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("LockIsExclusiveAcrossClients", func(t *testing.T) {
		unlock, err := cs.Lock(ctx, "a@x.io")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Lock(ctx, "a@x.io"); !errors.Is(err, engine.ErrContactBusy) {
			t.Fatalf("second lock: %v, want ErrContactBusy", err)
		}
		unlock()
		unlock2, err := other.Lock(ctx, "a@x.io")
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
		unlock() // a stale release must not drop the new holder's lock
		if _, err := cs.Lock(ctx, "a@x.io"); !errors.Is(err, engine.ErrContactBusy) {
			t.Fatalf("lock after a stale release: %v, want ErrContactBusy", err)
		}
		unlock2()
	})
	t.Run("UnsettledExpiresWithWindow", func(t *testing.T) {
		at := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
		if err := cs.MarkUnsettled(ctx, "b@x.io", at, time.Minute); err != nil {
			t.Fatal(err)
		}
		got, ok, err := other.Unsettled(ctx, "b@x.io")
		if err != nil || !ok || !got.Equal(at) {
			t.Fatalf("unsettled = %v %v %v, want %v", got, ok, err, at)
		}
		ttl := srv.Client().PTTL(ctx, idempotency.DefaultContactPrefix+sha("b@x.io")+":unsettled").Val()
		if ttl <= 0 || ttl > time.Minute {
			t.Errorf("ttl %v, want within the 1m window", ttl)
		}
		if err := other.Settle(ctx, "b@x.io"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := cs.Unsettled(ctx, "b@x.io"); ok {
			t.Error("still unsettled after Settle")
		}
	})
	t.Run("BadOptions", func(t *testing.T) {
		for _, o := range []idempotency.ContactStateOption{idempotency.WithLockTTL(0), idempotency.WithLockWait(-1), idempotency.WithContactPrefix("")} {
			if _, err := idempotency.NewContactState(srv.Client(), o); err == nil {
				t.Error("bad option accepted")
			}
		}
		if _, err := idempotency.NewContactState(nil); err == nil {
			t.Error("nil client accepted")
		}
	})
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
