package deskeratest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// post creates a contact on srv: the status, or 0 when the connection
// was dropped, and the Retry-After header.
func post(t *testing.T, srv *deskeratest.Server) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/crm/contacts", strings.NewReader(`{"name":"Ada","email":"ada@example.com"}`))
	req.Header.Set("x-access-token", deskeratest.DefaultToken)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestInjectFaults: each kind of a mix answers as it says and applies the
// create only for the apply-then kinds; Injected counts it.
func TestInjectFaults(t *testing.T) {
	tests := []struct {
		kind       deskeratest.FaultKind
		status     int // 0: dropped
		applied    bool
		retryAfter string
		injected   string
	}{
		{deskeratest.FaultRateLimit, 429, false, "0.5", "contacts.create 429"},
		{deskeratest.FaultDrop, 0, false, "", "contacts.create drop"},
		{deskeratest.FaultApplyThen429, 429, true, "0.5", "contacts.create apply-then-429"},
		{deskeratest.FaultApplyThen503, 503, true, "", "contacts.create apply-then-503"},
		{deskeratest.FaultApplyThenDrop, 0, true, "", "contacts.create apply-then-drop"},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			srv := deskeratest.NewServer(t)
			if err := srv.InjectFaults(1, deskeratest.FaultMix{Ops: []string{"contacts.create"}, Rate: 1,
				Kinds: []deskeratest.FaultKind{tc.kind}, RetryAfter: 500 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			status, ra := post(t, srv)
			if status != tc.status || ra != tc.retryAfter {
				t.Errorf("status %d Retry-After %q, want %d %q", status, ra, tc.status, tc.retryAfter)
			}
			if n := len(srv.Contacts()); (n == 1) != tc.applied || n > 1 {
				t.Errorf("%d contacts, applied = %v", n, tc.applied)
			}
			// Other operations are not covered by the mix.
			if code, _, _ := do(t, srv, http.MethodGet, "/v1/crm/contacts", tok, ""); code != http.StatusOK {
				t.Errorf("list: status %d, want 200", code)
			}
			if got := srv.Injected(); got[tc.injected] != 1 || len(got) != 1 {
				t.Errorf("Injected() = %v, want {%s: 1}", got, tc.injected)
			}
		})
	}
}

// TestInjectFaultsStatusAndRate: a status fault is a 5xx and is not
// applied; a rate of 0.3 faults about 30% of the requests, repeatably.
func TestInjectFaultsStatusAndRate(t *testing.T) {
	run := func() (faulted int, contacts int) {
		srv := deskeratest.NewServer(t)
		if err := srv.InjectFaults(7, deskeratest.FaultMix{Rate: 0.3, Kinds: []deskeratest.FaultKind{deskeratest.FaultStatus}}); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			if status, _ := post(t, srv); status != http.StatusOK {
				if status != 500 && status != 502 && status != 503 {
					t.Fatalf("status %d, want 200 or 5xx", status)
				}
				faulted++
			}
		}
		return faulted, len(srv.Contacts())
	}
	f1, c1 := run()
	f2, _ := run()
	if f1 < 40 || f1 > 80 || f1+c1 != 200 {
		t.Errorf("%d of 200 faulted (want about 60), %d contacts (want the others)", f1, c1)
	}
	if f1 != f2 {
		t.Errorf("same seed, %d then %d faults", f1, f2)
	}
}

// TestInjectFaultsInvalid: a mix that cannot work is refused.
func TestInjectFaultsInvalid(t *testing.T) {
	srv := deskeratest.NewServer(t)
	tests := []struct {
		name string
		mix  deskeratest.FaultMix
	}{
		{"NoKinds", deskeratest.FaultMix{Rate: 0.5}},
		{"RateAboveOne", deskeratest.FaultMix{Rate: 1.5, Kinds: []deskeratest.FaultKind{deskeratest.FaultDrop}}},
		{"NegativeRate", deskeratest.FaultMix{Rate: -0.1, Kinds: []deskeratest.FaultKind{deskeratest.FaultDrop}}},
		{"UnknownKind", deskeratest.FaultMix{Rate: 0.5, Kinds: []deskeratest.FaultKind{"teapot"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := srv.InjectFaults(1, tc.mix); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
