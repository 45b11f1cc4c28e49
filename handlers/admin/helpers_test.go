package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/admin"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

const token = "test-admin-token-0123456789"

// env is leadhook's router with the admin handler on a real HTTP server,
// acting on a fake Deskera, recording to an SQLite history.
type env struct {
	t       testing.TB
	deskera *deskeratest.Server
	svc     *handlers.Service
	store   *history.Store
	srv     *httptest.Server
	logs    *syncbuf.Buffer
	// start and received are the deliveries' clock: a second apart from
	// a minute ago, so that "newest first" is the order they were sent
	// in (two sent within one millisecond tied, and the tie went by id).
	start    time.Time
	received atomic.Int64
}

// now is the next delivery's received time.
func (e *env) now() time.Time {
	return e.start.Add(time.Duration(e.received.Add(1)) * time.Second)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, deskera: deskeratest.NewServer(t), store: historytest.SQLite(t), logs: &syncbuf.Buffer{}, start: time.Now().Add(-time.Minute)}
	log := handlers.NewLogger(e.logs, 0)
	set := handlerstest.Rules(t, "testdata/rules.yaml")
	eng := handlerstest.Engine(t, e.deskera.Client(), set)
	m := handlers.NewMetrics()
	var err error
	if e.svc, err = handlers.NewService(handlers.Config{Rules: set, Engine: eng, Metrics: m, Logger: log, History: e.store}); err != nil {
		t.Fatal(err)
	}
	a, err := admin.New(admin.Config{Store: e.store, Replayer: e.svc, Token: token, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: e.svc, Metrics: m, Logger: log, Admin: a, Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(router)
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), token) {
			t.Error("the logs hold the admin token")
		}
	})
	return e
}

// lead posts one survey delivery and returns its record id.
func (e *env) lead(id, email string, budget int) string {
	e.t.Helper()
	body := `{"email":"` + email + `","submission_id":"` + id + `","budget":` + itoa(budget) + `}`
	resp, err := http.Post(e.srv.URL+"/hooks/survey", "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("lead %s: status %d", id, resp.StatusCode)
	}
	return history.ID("survey", "submission_id:"+id)
}

// queued records a queued delivery whose Deskera calls fail (kept body).
func (e *env) queued(id, email string) string {
	e.t.Helper()
	e.deskera.FailNext(4, http.StatusServiceUnavailable, 0)
	body := `{"email":"` + email + `","submission_id":"` + id + `","budget":70}`
	req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/survey", Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/json"}}, ReceivedAt: e.now().UTC()}
	ctx := handlers.WithDelivery(context.Background(), handlers.Delivery{Mode: history.ModeQueued})
	if resp := e.svc.Handle(ctx, "survey", req, false); resp.Status != 503 {
		e.t.Fatalf("queued %s: status %d", id, resp.Status)
	}
	return history.ID("survey", "submission_id:"+id)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// call sends an admin request; auth is "bearer", "cookie", "wrong" or "".
func (e *env) call(method, path, auth string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	switch auth {
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+token)
	case "cookie":
		req.AddCookie(&http.Cookie{Name: "leadhook_admin", Value: token})
	case "wrong":
		req.Header.Set("Authorization", "Bearer "+token+"x")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
