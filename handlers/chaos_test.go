package handlers_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/internal/syncbuf"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// Known credentials of the reliability tests; none may appear in any log
// line, answer or error.
const (
	soakDeskeraToken = "soak-deskera-token-4f1c9e2a"
	soakAdminToken   = "soak-admin-token-b7d3"
)

// Kinds of injected Deskera faults.
const (
	faultNone      = iota
	faultStatus    // 500, 502 or 503, not applied
	faultRateLimit // 429 with a fractional Retry-After, not applied
	faultLatency   // slower than the client's timeout, not applied
	faultDrop      // connection closed after reading the request
	faultDropApply // applied, then the connection closed without an answer
	faultLateApply // slower than the client's timeout, applied once it gave up
	faultKinds     // number of kinds
	clientTimeout  = 400 * time.Millisecond
	// calmTimeout is the client's timeout where no fault is injected: a
	// loaded machine cannot make a call that slow.
	calmTimeout     = 30 * time.Second
	clientAttempts  = 4 // the replicas' Deskera client tries a call at most this often
	chaosRetryAfter = "0.02"
)

// chaos wraps the fake Deskera and injects faults into a fraction of the
// calls. It records, per operation, what the client must have observed
// ("op code", code "error" for transport failures) and what reached the
// fake, to check the service's metrics against.
type chaos struct {
	next http.Handler
	rate float64

	mu        sync.Mutex
	rng       *rand.Rand
	observed  map[string]int // "op code" -> calls
	forwarded map[string]int // op -> calls that reached the fake
	injected  [faultKinds]int
	stuck     int // latency faults the client never gave up on
}

func newChaos(next http.Handler, rate float64, seed uint64) *chaos {
	return &chaos{next: next, rate: rate, rng: rand.New(rand.NewPCG(seed, 7)),
		observed: map[string]int{}, forwarded: map[string]int{}}
}

func (c *chaos) pick() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rng.Float64() >= c.rate {
		return faultNone, 0
	}
	// Weights: statuses 40%, 429 20%, latency 5% + 5% applied late,
	// drops 15% + 15% after applying.
	switch r := c.rng.IntN(20); {
	case r < 8:
		return faultStatus, []int{500, 502, 503}[c.rng.IntN(3)]
	case r < 12:
		return faultRateLimit, http.StatusTooManyRequests
	case r < 13:
		return faultLatency, 0
	case r < 14:
		return faultLateApply, 0
	case r < 17:
		return faultDrop, 0
	default:
		return faultDropApply, 0
	}
}

func (c *chaos) note(op, code string, kind int, forwarded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.observed[op+" "+code]++
	c.injected[kind]++
	if forwarded {
		c.forwarded[op]++
	}
}

func (c *chaos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the request first, as a server does: only then does net/http
	// notice a client that hangs up.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := deskeraOp(r.Method, r.URL.Path)
	kind, status := c.pick()
	switch kind {
	case faultStatus, faultRateLimit:
		if kind == faultRateLimit {
			w.Header().Set("Retry-After", chaosRetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"injected %d"}`, status)
		c.note(op, fmt.Sprint(status), kind, false)
	case faultLatency:
		select { // the client times out and goes away
		case <-r.Context().Done():
		case <-time.After(10 * clientTimeout):
			c.mu.Lock()
			c.stuck++
			c.mu.Unlock()
		}
		c.note(op, "error", kind, false)
	case faultLateApply:
		select { // the client times out and goes away; Deskera applies anyway
		case <-r.Context().Done():
		case <-time.After(10 * clientTimeout):
		}
		c.next.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithoutCancel(r.Context())))
		c.note(op, "error", kind, true)
	case faultDrop:
		c.note(op, "error", kind, false)
		hangUp(w)
	case faultDropApply:
		c.next.ServeHTTP(httptest.NewRecorder(), r)
		c.note(op, "error", kind, true)
		hangUp(w)
	default:
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		c.next.ServeHTTP(sw, r)
		c.note(op, fmt.Sprint(sw.status), kind, true)
	}
}

func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return s.ResponseWriter.(http.Hijacker).Hijack()
}

// deskeraOp names a call like the client's observer and the fake do.
func deskeraOp(method, path string) string {
	const contacts, labels = "/v1/crm/contacts", "/v1/crm/contacts/labels"
	path = strings.TrimSuffix(path, "/")
	switch {
	case path == contacts:
		return map[string]string{"GET": "contacts.list", "POST": "contacts.create", "PATCH": "contacts.bulk_update"}[method]
	case path == contacts+"/multiple":
		return "contacts.multiple"
	case path == labels:
		return map[string]string{"GET": "labels.list", "POST": "labels.create"}[method]
	case strings.HasPrefix(path, labels+"/"):
		return map[string]string{"GET": "labels.get", "PUT": "labels.update", "DELETE": "labels.delete"}[method]
	case strings.HasPrefix(path, contacts+"/"):
		return map[string]string{"GET": "contacts.get", "PATCH": "contacts.update", "PUT": "contacts.replace", "DELETE": "contacts.delete"}[method]
	}
	return "unknown"
}

// replicaSetup is one leadhook process: its own Deskera client, engine,
// metrics and service, serving real HTTP.
type replicaSetup struct {
	metrics *handlers.Metrics
	svc     *handlers.Service
	srv     *httptest.Server
}

type replicaOptions struct {
	deskeraURL string
	store      idempotency.Store
	logs       *syncbuf.Buffer
	maxFlight  int
	// rules is the rules file (default testdata/rules.yaml).
	rules string
	// timeout is the Deskera client's per-attempt timeout (default
	// clientTimeout): short where faults make calls hang, long where
	// none are injected, so a loaded machine cannot turn a slow answer
	// into a fault the test did not mean.
	timeout time.Duration
	// engine options are applied after the defaults (a settle window of
	// 3 timeouts).
	engine []engine.EngineOption
	// configure adjusts the configs before the service and router exist.
	configure func(*handlers.Config, *handlers.ServerConfig)
	// server adjusts the http.Server (NewHTTPServer's) before it starts.
	server func(*http.Server)
}

func newReplica(t *testing.T, o replicaOptions) *replicaSetup {
	t.Helper()
	r, err := startReplica(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.srv.Close)
	return r
}

// startReplica is newReplica for any goroutine: it returns its error,
// and the caller closes r.srv.
func startReplica(o replicaOptions) (*replicaSetup, error) {
	r := &replicaSetup{metrics: handlers.NewMetrics()}
	log := handlers.NewLogger(o.logs, slog.LevelDebug)
	client, err := deskera.NewClient(
		deskera.WithBaseURL(o.deskeraURL), deskera.WithAccessToken(soakDeskeraToken),
		deskera.WithTimeout(cmp.Or(o.timeout, clientTimeout)), deskera.WithRetry(clientAttempts, 3*time.Second),
		deskera.WithBackoff(2*time.Millisecond, 20*time.Millisecond), deskera.WithRateLimit(0, 0),
		deskera.WithLogger(log), deskera.WithObserver(r.metrics.ObserveDeskera),
		// No keep-alive: net/http silently resends a GET whose reused
		// connection dropped, which the fake would count twice and the
		// client's observer once.
		deskera.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
	if err != nil {
		return nil, err
	}
	set, err := rules.LoadFile(cmp.Or(o.rules, "testdata/rules.yaml"))
	if err != nil {
		return nil, err
	}
	// A late-applied create lands as soon as the client gives up; a
	// window of a few client timeouts keeps the sender's retry from
	// creating the contact a second time.
	opts := append([]engine.EngineOption{engine.WithLogger(log), engine.WithSettleWindow(3 * cmp.Or(o.timeout, clientTimeout))}, o.engine...)
	eng, err := engine.NewEngine(client, opts...)
	if err != nil {
		return nil, err
	}
	for i := 0; ; i++ { // Prepare may meet injected faults too
		if err = eng.Prepare(context.Background(), set); err == nil || i == 20 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	cfg := handlers.Config{Rules: set, Engine: eng, AdminToken: soakAdminToken,
		Metrics: r.metrics, Logger: log, Store: o.store}
	sc := handlers.ServerConfig{Metrics: r.metrics, Logger: log, MaxBody: 64 << 10, MaxInFlight: o.maxFlight}
	if o.configure != nil {
		o.configure(&cfg, &sc)
	}
	if r.svc, err = handlers.NewService(cfg); err != nil {
		return nil, err
	}
	sc.Service = r.svc
	router, err := handlers.NewRouter(sc)
	if err != nil {
		return nil, err
	}
	r.srv = httptest.NewUnstartedServer(router)
	hs := handlers.NewHTTPServer("", router, log)
	if o.server != nil {
		o.server(hs)
	}
	r.srv.Config = hs
	r.srv.Start()
	return r, nil
}

// newFakeDeskera serves a fake accepting soakDeskeraToken behind chaos
// (rate 0: no faults).
func newFakeDeskera(t *testing.T, rate float64) (*deskeratest.Fake, *chaos, string) {
	t.Helper()
	fake := deskeratest.New(deskeratest.WithToken(soakDeskeraToken))
	ch := newChaos(fake, rate, 42)
	srv := httptest.NewServer(ch)
	t.Cleanup(srv.Close)
	return fake, ch, srv.URL
}

// counterSum adds up a counter family's samples whose labels include match.
func counterSum(t *testing.T, m *handlers.Metrics, name string, match map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			if labelsMatch(s.GetLabel(), match) {
				sum += s.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func labelsMatch(ls []*dto.LabelPair, match map[string]string) bool {
	n := 0
	for _, l := range ls {
		if v, ok := match[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(match)
}

// deskeraObserved returns the service's deskera_requests_total by "op code".
func deskeraObserved(t *testing.T, m *handlers.Metrics) map[string]int {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range fams {
		if f.GetName() != "leadhook_deskera_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			var op, code string
			for _, l := range s.GetLabel() {
				switch l.GetName() {
				case "op":
					op = l.GetValue()
				case "code":
					code = l.GetValue()
				}
			}
			out[op+" "+code] += int(s.GetCounter().GetValue())
		}
	}
	return out
}
