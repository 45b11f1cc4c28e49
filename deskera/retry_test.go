package deskera_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

func TestRetryIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		failures  int
		wantCalls int
		wantErr   bool
	}{
		{name: "503ThenOK", status: 503, failures: 2, wantCalls: 3},
		{name: "502ThenOK", status: 502, failures: 1, wantCalls: 2},
		{name: "504ThenOK", status: 504, failures: 1, wantCalls: 2},
		{name: "429ThenOK", status: 429, failures: 3, wantCalls: 4},
		{name: "Exhausted", status: 503, failures: 10, wantCalls: 4, wantErr: true},
		{name: "500NotRetried", status: 500, failures: 1, wantCalls: 1, wantErr: true},
		{name: "400NotRetried", status: 400, failures: 1, wantCalls: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t, deskera.WithRetry(4, time.Minute))
			srv.FailNext(tc.failures, tc.status, 0)
			_, err := c.ListLabels(context.Background())
			testCalls(t, srv, "labels.list", tc.wantCalls)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tc.wantErr)
			}
			var api *deskera.APIError
			if tc.wantErr && (!errors.As(err, &api) || api.StatusCode != tc.status) {
				t.Errorf("err: got %v, want *APIError %d", err, tc.status)
			}
		})
	}
}

func TestRetryDroppedConnection(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	srv.SeedContacts(1)
	srv.DropNext(2)
	if _, err := c.GetContact(context.Background(), 1); err != nil {
		t.Fatalf("GetContact after 2 drops: %v", err)
	}
	if got := srv.Count("contacts.get"); got < 3 {
		t.Errorf("calls: got %d, want at least 3", got)
	}
}

func TestRetryTimeout(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv, c := newFake(t, deskera.WithTimeout(20*time.Millisecond), deskera.WithRetry(3, time.Minute),
		deskera.WithObserver(countAttempts(&attempts)))
	srv.SetLatency(time.Second)
	_, err := c.ListLabels(context.Background())
	if _, ok := deskera.Temporary(err); !ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a temporary deadline error", err)
	}
	if got := attempts.Load(); got != 3 {
		t.Errorf("attempts: got %d, want 3", got)
	}
}

// TestRetryAfter checks that the delay before the retry is the server's
// Retry-After, read from the client's retry log line.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{name: "Seconds", header: "1", want: time.Second},
		{name: "DecimalSeconds", header: "0.05", want: 50 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			log, buf := captureLogs()
			c, mux, _ := setup(t, deskera.WithLogger(log))
			var calls atomic.Int32
			mux.HandleFunc("/v1/crm/contacts/labels", func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.header)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = w.Write([]byte("[]"))
			})
			if _, err := c.ListLabels(context.Background()); err != nil {
				t.Fatalf("ListLabels: %v", err)
			}
			if got := retryDelays(t, buf.String()); len(got) != 1 || got[0] != tc.want {
				t.Errorf("retry delays: got %v, want [%v]", got, tc.want)
			}
		})
	}
}

func retryDelays(t *testing.T, logs string) []time.Duration {
	t.Helper()
	var out []time.Duration
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct {
			Msg   string  `json:"msg"`
			Delay float64 `json:"delay_ms"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Msg == "deskera: retrying" {
			out = append(out, time.Duration(rec.Delay*float64(time.Millisecond)))
		}
	}
	return out
}

func TestRateLimitError(t *testing.T) {
	t.Parallel()
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name     string
		header   string
		min, max time.Duration
	}{
		{name: "Seconds", header: "120", min: 120 * time.Second, max: 120 * time.Second},
		{name: "HTTPDate", header: date, min: 60 * time.Second, max: 91 * time.Second},
		{name: "Absent", header: "", min: 0, max: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t, deskera.WithRetry(1, time.Minute))
			mux.HandleFunc("/v1/crm/contacts/7", func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				http.Error(w, `{"message":"slow down"}`, http.StatusTooManyRequests)
			})
			_, err := c.GetContact(context.Background(), 7)
			var rl *deskera.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("got %v, want *RateLimitError", err)
			}
			if rl.RetryAfter < tc.min || rl.RetryAfter > tc.max {
				t.Errorf("RetryAfter: got %v, want %v..%v", rl.RetryAfter, tc.min, tc.max)
			}
			if after, ok := deskera.Temporary(err); !ok || after != rl.RetryAfter {
				t.Errorf("Temporary: got %v %v", after, ok)
			}
			var api *deskera.APIError
			if !errors.As(err, &api) || api.Message != "slow down" {
				t.Errorf("APIError: got %+v", api)
			}
		})
	}
}

func TestRetryAfterBeyondBudgetStops(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, deskera.WithRetry(5, 2*time.Second))
	srv.FailNext(5, 429, time.Hour)
	_, err := c.ListLabels(context.Background())
	var rl *deskera.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Hour {
		t.Errorf("got %v, want *RateLimitError with RetryAfter 1h", err)
	}
	testCalls(t, srv, "labels.list", 1)
}

func TestRetryContextCancelled(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	srv.FailNext(5, 503, 5*time.Second) // within the default 30s budget, so the client waits
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.ListLabels(ctx)
		done <- err
	}()
	for srv.Count("labels.list") == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "labels.list") {
		t.Errorf("got %v, want context.Canceled naming labels.list", err)
	}
	if _, ok := deskera.Temporary(err); ok {
		t.Error("a cancelled call is not temporary")
	}
}

// TestCreateNotRetried checks that a create that may have reached Deskera
// is never retried and reports ErrOutcomeUnknown.
func TestCreateNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   func(s faulter)
		opts    []deskera.Option
		stored  int // contacts in the fake afterwards
		wantErr bool
	}{
		{name: "503", fault: func(s faulter) { s.FailNext(1, 503, 0) }},
		{name: "500", fault: func(s faulter) { s.FailNext(1, 500, 0) }},
		{name: "504", fault: func(s faulter) { s.FailNext(1, 504, 0) }},
		{name: "DroppedBeforeApply", fault: func(s faulter) { s.DropNext(1) }},
		{name: "DroppedAfterApply", fault: func(s faulter) { s.DropNextAfterApply(1) }, stored: 1},
		{name: "Timeout", fault: func(s faulter) { s.SetLatency(time.Second) },
			opts: []deskera.Option{deskera.WithTimeout(20 * time.Millisecond)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var attempts atomic.Int32
			srv, c := newFake(t, append(tc.opts, deskera.WithObserver(countAttempts(&attempts)))...)
			tc.fault(srv)
			_, err := c.CreateContact(context.Background(), &deskera.ContactSaveDto{Name: "Ada", Email: "ada@example.com"})
			if !errors.Is(err, deskera.ErrOutcomeUnknown) {
				t.Fatalf("got %v, want ErrOutcomeUnknown", err)
			}
			if _, ok := deskera.Temporary(err); !ok {
				t.Error("outcome unknown must be temporary")
			}
			if got := attempts.Load(); got != 1 {
				t.Errorf("create attempts: got %d, want 1", got)
			}
			if got := len(srv.Contacts()); got != tc.stored {
				t.Errorf("stored contacts: got %d, want %d", got, tc.stored)
			}
		})
	}
}

type faulter interface {
	FailNext(n, status int, retryAfter time.Duration)
	DropNext(n int)
	DropNextAfterApply(n int)
	SetLatency(d time.Duration)
}

// TestUpsertAfterOutcomeUnknown walks the documented upsert path: a lost
// create, then a search by email that finds the contact it created.
func TestUpsertAfterOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	srv.DropNextAfterApply(1)
	dto := &deskera.ContactSaveDto{Name: "Ada", Email: "ada@example.com"}
	if _, err := c.CreateContact(ctx, dto); !errors.Is(err, deskera.ErrOutcomeUnknown) {
		t.Fatalf("create: got %v, want ErrOutcomeUnknown", err)
	}
	found, err := c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "ADA@example.com"})
	if err != nil || len(found.Data) != 1 {
		t.Fatalf("search: got %+v, %v; want the contact the lost create made", found, err)
	}
	if _, err := c.UpdateContact(ctx, found.Data[0].ID, &deskera.ContactSaveDto{LabelID: 4}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := len(srv.Contacts()); got != 1 {
		t.Errorf("contacts: got %d, want 1 (no duplicate)", got)
	}
}

// TestCreateNeverRetriedOnceReached: Deskera may commit a create and still
// answer 429 or 5xx (or lose the answer), so the client sends one POST and
// reports the outcome as unknown; the caller searches before creating again.
func TestCreateNeverRetriedOnceReached(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		drop   bool
	}{
		{name: "429", status: http.StatusTooManyRequests},
		{name: "503", status: http.StatusServiceUnavailable},
		{name: "500", status: http.StatusInternalServerError},
		{name: "dropped", drop: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t)
			if tc.drop {
				srv.DropNextAfterApply(1)
			} else {
				srv.FailNextAfterApply(1, tc.status, 0)
			}
			_, err := c.CreateContact(context.Background(), &deskera.ContactSaveDto{Name: "Ada", Email: "ada@example.com"})
			if !errors.Is(err, deskera.ErrOutcomeUnknown) {
				t.Fatalf("got %v, want ErrOutcomeUnknown", err)
			}
			if _, ok := deskera.Temporary(err); !ok {
				t.Errorf("outcome unknown must be temporary: %v", err)
			}
			if n := srv.Count("contacts.create"); n != 1 {
				t.Errorf("create calls: got %d, want 1 (never POST twice)", n)
			}
			if n := len(srv.Contacts()); n != 1 {
				t.Errorf("contacts: got %d, want 1", n)
			}
		})
	}
}

func TestCreateRetriedWhenNotReached(t *testing.T) {
	t.Parallel()
	t.Run("ConnectionRefused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		var attempts atomic.Int32
		c, err := deskera.NewClient(deskera.WithBaseURL("http://"+addr), deskera.WithAccessToken("t"),
			deskera.WithBackoff(time.Millisecond, 2*time.Millisecond), deskera.WithRetry(3, time.Minute),
			deskera.WithObserver(func(op string, status int, _ time.Duration) {
				if op == "contacts.create" && status == 0 {
					attempts.Add(1)
				}
			}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateContact(context.Background(), &deskera.ContactSaveDto{Name: "Ada"})
		if err == nil || errors.Is(err, deskera.ErrOutcomeUnknown) {
			t.Errorf("got %v, want a connection error that is not outcome-unknown", err)
		}
		if _, ok := deskera.Temporary(err); !ok {
			t.Errorf("connection refused must be temporary: %v", err)
		}
		if got := attempts.Load(); got != 3 {
			t.Errorf("attempts: got %d, want 3", got)
		}
	})
}

func TestFailRateConverges(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, deskera.WithRetry(10, time.Minute))
	srv.SeedContacts(20)
	srv.FailRate(0.3, 502, 503)
	for i := 1; i <= 20; i++ {
		if _, err := c.GetContact(context.Background(), deskera.ID(i)); err != nil {
			t.Fatalf("GetContact(%d): %v", i, err)
		}
	}
	if srv.Count("contacts.get") <= 20 {
		t.Errorf("expected some injected failures, got %d calls", srv.Count("contacts.get"))
	}
}

func TestTemporary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, false},
		{"404", &deskera.APIError{StatusCode: 404}, false},
		{"422", &deskera.APIError{StatusCode: 422}, false},
		{"500", &deskera.APIError{StatusCode: 500}, true},
		{"503", &deskera.APIError{StatusCode: 503}, true},
		{"429", &deskera.RateLimitError{Err: &deskera.APIError{StatusCode: 429}}, true},
		{"OutcomeUnknown", deskera.ErrOutcomeUnknown, true},
		{"Deadline", context.DeadlineExceeded, true},
		{"Canceled", context.Canceled, false},
		{"Other", errors.New("boom"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := deskera.Temporary(tc.err); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// countAttempts is an observer counting HTTP attempts.
func countAttempts(n *atomic.Int32) func(string, int, time.Duration) {
	return func(string, int, time.Duration) { n.Add(1) }
}

// TestRateLimiter checks that the token bucket holds back a request that
// would exceed it: with one request per 10s and burst 1, a second call under a
// 100ms deadline fails before reaching the server.
func TestRateLimiter(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, deskera.WithRateLimit(0.1, 1))
	ctx := context.Background()
	if _, err := c.ListLabels(ctx); err != nil {
		t.Fatalf("first call: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := c.ListLabels(tctx)
	if _, ok := deskera.Temporary(err); !ok || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("got %v, want a temporary client rate limit error", err)
	}
	testCalls(t, srv, "labels.list", 1)
}

func TestCancelledBeforeSendIsNotOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Ada"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, deskera.ErrOutcomeUnknown) {
		t.Errorf("got %v, want context.Canceled only", err)
	}
	if srv.Total() != 0 {
		t.Errorf("requests: got %d, want 0", srv.Total())
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-access-token") != "" {
			leaked.Store(true)
		}
	}))
	t.Cleanup(other.Close)
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/crm/contacts/labels", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	_, err := c.ListLabels(context.Background())
	var api *deskera.APIError
	if !errors.As(err, &api) || api.StatusCode != http.StatusFound {
		t.Errorf("got %v, want *APIError 302", err)
	}
	if leaked.Load() {
		t.Error("token sent to the redirect target")
	}
}
