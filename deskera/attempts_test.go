package deskera_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

func TestAttemptObserverSeesEveryAttemptOfItsContext(t *testing.T) {
	c, mux, _ := setup(t)
	calls := 0
	mux.HandleFunc("/v1/crm/contacts/7", func(w http.ResponseWriter, r *http.Request) {
		if calls++; calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":7,"name":"x"}`))
	})
	var mu sync.Mutex
	var got []deskera.Attempt
	ctx := deskera.WithAttemptObserver(context.Background(), func(a deskera.Attempt) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, a)
	})
	if _, err := c.GetContact(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetContact(context.Background(), 7); err != nil { // another context: not seen
		t.Fatal(err)
	}
	want := []struct{ status, n int }{{503, 1}, {200, 2}}
	if len(got) != len(want) {
		t.Fatalf("got %d attempts %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		a := got[i]
		if a.Op != "contacts.get" || a.Method != "GET" || a.Path != "/v1/crm/contacts/7" || a.Status != w.status || a.N != w.n || a.Duration <= 0 {
			t.Errorf("attempt %d: %+v, want status %d n %d", i, a, w.status, w.n)
		}
	}
}
