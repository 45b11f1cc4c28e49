package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/internal/pgtest"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// durableRules has one queued browser-form source and a rule giving
// every lead a label and an owner.
const durableRules = `labels: [Hot lead]
owners:
  sales: [17826, 21584]
sources:
  form:
    format: form
    auth: {type: none}
rules:
  - name: capture
    when: 'email_valid(event.email)'
    actions:
      - upsert_contact: {match_on: email, set: {name: event.name, email: lower(event.email)}}
      - assign_label: Hot lead
      - assign_owner: {pool: sales}
`

// proc is `leadhook serve` in a child process (TestServeHelperProcess).
type proc struct {
	cmd    *exec.Cmd
	base   string
	logs   *syncbuf.Buffer
	exited chan error
}

// startProc starts serve with vars on a free port and waits until it
// listens. The external fake Deskera outlives it.
func startProc(t *testing.T, vars map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "LEADHOOK_ADDR=127.0.0.1:0")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &syncbuf.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
		}
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if addr := listenAddr(p.logs.String()); addr != "" {
			p.base = "http://" + addr
			return p
		}
		select {
		case err := <-p.exited:
			t.Fatalf("serve exited at start: %v\n%s", err, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", p.logs)
		}
	}
}

// kill9 kills the process with SIGKILL and waits for it.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// metric reads one unlabelled sample from /metrics (-1 when absent).
func (p *proc) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	re := regexp.MustCompile(`^` + name + ` (\S+)$`)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
	}
	return -1
}

func durableEmail(i int) string { return fmt.Sprintf("lead%d@acme%d.io", i, i) }

// postLeads posts leads [from, to) to the bases in turn, each with an
// Idempotency-Key; every answer must be 202.
func postLeads(t *testing.T, bases []string, from, to int) {
	t.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				form := url.Values{"name": {fmt.Sprintf("Lead %d", i)}, "email": {durableEmail(i)}}
				req, _ := http.NewRequest(http.MethodPost, bases[i%len(bases)]+"/hooks/form", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("lead-%d", i))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("lead %d: %v", i, err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					t.Errorf("lead %d: status %d, want 202", i, resp.StatusCode)
				}
			}
		})
	}
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// checkLeads: each of the n leads is exactly one contact with the label
// and an owner of the pool.
func checkLeads(t *testing.T, fake *deskeratest.Server, n int) {
	t.Helper()
	count := map[string]int{}
	for _, c := range fake.Contacts() {
		count[c.Email]++
		if c.LabelID == 0 || (c.OwnerID != 17826 && c.OwnerID != 21584) {
			t.Errorf("contact %s: label %d owner %d", c.Email, c.LabelID, c.OwnerID)
		}
	}
	lost, dup := 0, 0
	for i := range n {
		switch count[durableEmail(i)] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	t.Logf("%d leads: %d contacts, %d lost, %d duplicated", n, len(fake.Contacts()), lost, dup)
	if lost != 0 || dup != 0 || len(count) != n {
		t.Errorf("%d lost, %d duplicated, %d distinct contacts; want 0, 0, %d", lost, dup, len(count), n)
	}
}

// createGate serves a Deskera fake, passing the first n contact creates
// and holding every later one until open is called. A held request whose
// caller is gone by then is dropped unanswered and unapplied.
type createGate struct {
	next    http.Handler
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	pass    int
	waiting int
}

func newCreateGate(next http.Handler, n int) *createGate {
	return &createGate{next: next, pass: n, release: make(chan struct{})}
}

func (g *createGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == "/v1/crm/contacts" && !g.admit() {
		defer g.leave()
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// admit takes one of the passes, or counts the request as held.
func (g *createGate) admit() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.release:
		return true
	default:
	}
	if g.pass > 0 {
		g.pass--
		return true
	}
	g.waiting++
	return false
}

func (g *createGate) leave() {
	g.mu.Lock()
	g.waiting--
	g.mu.Unlock()
}

// held is the number of creates waiting at the gate.
func (g *createGate) held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// open lets every held and later create through.
func (g *createGate) open() { g.once.Do(func() { close(g.release) }) }

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func durableVars(t *testing.T, fake *deskeratest.Server) map[string]string {
	rulesPath := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(durableRules), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"LEADHOOK_RULES": rulesPath, "DESKERA_BASE_URL": fake.URL, "DESKERA_ACCESS_TOKEN": deskeratest.DefaultToken,
		"DESKERA_RATE_LIMIT": "0", "LEADHOOK_QUEUE_WORKERS": "4", "LEADHOOK_LOG_LEVEL": "info",
	}
}

// TestKill9EmbeddedStore: kill -9 of serve while 500 queued deliveries
// are pending or in flight, then a restart on the same data dir: none is
// lost and none makes two contacts.
//
// The kill is not a race against the workers: after the first 20 contacts
// every create is held, so the kill always finds deliveries in flight,
// however fast or slow the machine; the holds end with the restart.
func TestKill9EmbeddedStore(t *testing.T) {
	const n, before = 500, 20
	fake := deskeratest.NewServer(t)
	gate := newCreateGate(fake, before)
	front := httptest.NewServer(gate)
	t.Cleanup(front.Close)
	vars := durableVars(t, fake)
	vars["DESKERA_BASE_URL"] = front.URL
	vars["LEADHOOK_DATA_DIR"] = t.TempDir()

	p := startProc(t, vars)
	postLeads(t, []string{p.base}, 0, n)
	waitFor(t, "the first contacts and a held create", time.Minute, func() bool {
		return len(fake.Contacts()) == before && gate.held() > 0
	})
	p.kill9(t)
	t.Logf("killed with %d of %d leads done, %d creates held", len(fake.Contacts()), n, gate.held())

	gate.open()
	p = startProc(t, vars)
	waitFor(t, "the queue to drain after the restart", 2*time.Minute, func() bool {
		return p.metric(t, "leadhook_queue_depth") == 0
	})
	checkLeads(t, fake, n)
	if d := p.metric(t, "leadhook_queue_dead_letters"); d != 0 {
		t.Errorf("dead letters %v, want 0", d)
	}
}

// TestKill9PostgresReplica: two replicas on one PostgreSQL store take
// 500 queued deliveries; one is killed with -9 mid-way; the survivor
// finishes them (River rescues the killed one's running jobs): none lost,
// none duplicated.
func TestKill9PostgresReplica(t *testing.T) {
	const n = 500
	storeURL := pgtest.SchemaURL(t)
	fake := deskeratest.NewServer(t)
	gate := newCreateGate(fake, 20) // as in TestKill9EmbeddedStore
	front := httptest.NewServer(gate)
	t.Cleanup(front.Close)
	vars := durableVars(t, fake)
	vars["DESKERA_BASE_URL"] = front.URL
	vars["LEADHOOK_STORE_URL"] = storeURL
	vars["LEADHOOK_QUEUE_JOB_TIMEOUT"] = "2s"
	vars["LEADHOOK_QUEUE_RESCUE_AFTER"] = "3s"

	a := startProc(t, vars)
	b := startProc(t, vars)
	postLeads(t, []string{a.base, b.base}, 0, n)
	waitFor(t, "the first contacts and held creates", time.Minute, func() bool {
		return len(fake.Contacts()) == 20 && gate.held() > 0
	})
	a.kill9(t)
	t.Logf("replica killed with %d of %d leads done, %d creates held", len(fake.Contacts()), n, gate.held())
	gate.open()
	waitFor(t, "the survivor to finish", 3*time.Minute, func() bool {
		return b.metric(t, "leadhook_queue_depth") == 0
	})
	checkLeads(t, fake, n)
	if d := b.metric(t, "leadhook_queue_dead_letters"); d != 0 {
		t.Errorf("dead letters %v, want 0", d)
	}
	if conn, err := pgx.Connect(context.Background(), storeURL); err == nil {
		var again int
		_ = conn.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE state = 'completed' AND attempt > 1").Scan(&again)
		t.Logf("%d deliveries were done on a second attempt (rescued from the killed replica)", again)
		conn.Close(context.Background())
	}
}

// TestStartDuringOutage: serve starts while every Deskera call fails,
// serves /healthz, says on /readyz what is missing, and accepts queued
// deliveries; once Deskera answers, each is one contact.
func TestStartDuringOutage(t *testing.T) {
	const n = 10
	fake := deskeratest.NewServer(t)
	fake.FailRate(1, http.StatusServiceUnavailable)
	vars := durableVars(t, fake)
	vars["LEADHOOK_DATA_DIR"] = t.TempDir()
	p := startProc(t, vars)
	if code, body := get(t, p.base+"/healthz", nil); code != http.StatusOK {
		t.Fatalf("healthz %d %s", code, body)
	}
	code, body := get(t, p.base+"/readyz", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "labels not prepared yet") || !strings.Contains(body, "queued deliveries are accepted") {
		t.Fatalf("readyz during the outage: %d %s", code, body)
	}
	postLeads(t, []string{p.base}, 0, n)
	if len(fake.Contacts()) != 0 {
		t.Fatal("contacts created during the outage")
	}
	fake.FailRate(0)
	waitFor(t, "the queue to drain", 2*time.Minute, func() bool { return p.metric(t, "leadhook_queue_depth") == 0 })
	checkLeads(t, fake, n)
	waitFor(t, "readyz", time.Minute, func() bool { code, _ := get(t, p.base+"/readyz", nil); return code == http.StatusOK })
}
