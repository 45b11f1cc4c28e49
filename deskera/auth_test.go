package deskera_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

func oauthOption() deskera.Option {
	return deskera.WithOAuth(deskeratest.DefaultClientID, deskeratest.DefaultClientSecret, deskeratest.DefaultRefreshToken)
}

// TestOAuthRefreshWire checks the exact refresh request, that a 401 leads
// to one refresh and one retry with the new token, and that a rotated
// refresh token is used for the next refresh.
func TestOAuthRefreshWire(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t, deskera.WithOAuth("cid", "csecret", "rt-1"))
	var refreshes atomic.Int32
	mux.HandleFunc("/v2/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		n := refreshes.Add(1)
		testMethod(t, r, "POST")
		wantRT := "rt-1"
		if n > 1 {
			wantRT = "rotated-refresh"
		}
		testQuery(t, r, "grant_type=refresh_token&refresh_token="+wantRT)
		testHeader(t, r, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("cid:csecret")))
		testHeader(t, r, "x-access-token", "")
		_, _ = w.Write(fixture(t, "oauth_token.json"))
	})
	var seen []string
	var mu sync.Mutex
	var rejectFresh atomic.Bool
	mux.HandleFunc("/v1/crm/contacts/labels", func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("x-access-token")
		mu.Lock()
		seen = append(seen, tok)
		mu.Unlock()
		if tok != "fresh-access" || rejectFresh.CompareAndSwap(true, false) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte("[]"))
	})
	ctx := context.Background()
	if _, err := c.ListLabels(ctx); err != nil {
		t.Fatalf("first call: %v", err)
	}
	rejectFresh.Store(true)
	if _, err := c.ListLabels(ctx); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if got := refreshes.Load(); got != 2 {
		t.Errorf("refreshes: got %d, want 2", got)
	}
	want := []string{testToken, "fresh-access", "fresh-access", "fresh-access"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("tokens sent: got %v, want %v", seen, want)
	}
}

// TestSingleRefreshUnder50Concurrent401s expires the token, then sends 50
// concurrent requests: all get 401, one refresh serves them all, each is
// retried once and succeeds.
func TestSingleRefreshUnder50Concurrent401s(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, oauthOption())
	srv.SeedContacts(50)
	srv.ExpireTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 1; i <= 50; i++ {
		wg.Add(1)
		go func(id deskera.ID) {
			defer wg.Done()
			if _, err := c.GetContact(context.Background(), id); err != nil {
				errs <- err
			}
		}(deskera.ID(i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("GetContact: %v", err)
	}
	testCalls(t, srv, "oauth.token", 1)
	if got := srv.Count("contacts.get"); got > 100 {
		t.Errorf("get calls: got %d, want at most 100 (one retry each)", got)
	}
}

func TestRefreshOnceThenGiveUp(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t, deskera.WithAccessToken("stale"), deskera.WithOAuth("cid", "csecret", "rt"))
	var refreshes, calls atomic.Int32
	mux.HandleFunc("/v2/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		refreshes.Add(1)
		_, _ = w.Write([]byte(`{"access_token":"also-rejected","expires_in":"3600"}`))
	})
	mux.HandleFunc("/v1/crm/contacts/5", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"message":"token expired"}`, http.StatusUnauthorized)
	})
	_, err := c.GetContact(context.Background(), 5)
	var api *deskera.APIError
	if !errors.As(err, &api) || api.StatusCode != 401 {
		t.Fatalf("got %v, want *APIError 401", err)
	}
	if refreshes.Load() != 1 || calls.Load() != 2 {
		t.Errorf("refreshes %d, calls %d; want 1 and 2", refreshes.Load(), calls.Load())
	}
}

func TestStaticToken401(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, deskera.WithAccessToken("wrong"))
	_, err := c.ListLabels(context.Background())
	var api *deskera.APIError
	if !errors.As(err, &api) || api.StatusCode != 401 {
		t.Fatalf("got %v, want *APIError 401", err)
	}
	if srv.Count("oauth.token") != 0 || srv.Count("labels.list") != 1 {
		t.Errorf("counts: %v", srv.Counts())
	}
}

func TestOAuthBadCredentials(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, deskera.WithOAuth("cid", "wrong-secret", "rt"))
	srv.ExpireTokens()
	_, err := c.ListLabels(context.Background())
	var api *deskera.APIError
	if !errors.As(err, &api) || api.Op != "oauth.token" || api.StatusCode != 401 {
		t.Fatalf("got %v, want oauth.token 401", err)
	}
	testCalls(t, srv, "labels.list", 1)
}

func TestOAuthWithoutInitialToken(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	c, err := deskera.NewClient(deskera.WithBaseURL(srv.URL), oauthOption(), deskera.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.ListLabels(context.Background()); err != nil {
			t.Fatalf("ListLabels: %v", err)
		}
	}
	testCalls(t, srv, "oauth.token", 1)
}
