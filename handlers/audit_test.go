package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
	"github.com/leadhook/leadhook/handlers/webhook"
)

func withHistory(rec handlers.Recorder) harnessOption {
	return func(_ *harness, _ *handlers.ServerConfig, cfg *handlers.Config) { cfg.History = rec }
}

func withShadow(t testing.TB, path string) harnessOption {
	set := handlerstest.Rules(t, path)
	return func(_ *harness, _ *handlers.ServerConfig, cfg *handlers.Config) { cfg.Shadow = set }
}

func onlyRecord(t *testing.T, s *history.Store) *history.Record {
	t.Helper()
	recs, err := s.List(context.Background(), history.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1: %+v", len(recs), recs)
	}
	r, err := s.Get(context.Background(), recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHistoryRecordsASyncDelivery(t *testing.T) {
	historytest.Each(t, func(t *testing.T, open func(...history.Option) *history.Store) {
		store := open()
		h := newHarness(t, withHistory(store))
		body := "email=jane.doe%40example.com&name=Jane+Doe&budget=20000&phone=%2B15551234567"
		wantStatus(t, h.postForm(body, map[string]string{"X-Request-Id": "req-1"}), 200)
		r := onlyRecord(t, store)
		c := h.onlyContact()
		digest := h.svc.Rules().Digest()
		if r.Source != "website" || r.Mode != history.ModeSync || r.Outcome != history.OutcomeOK || r.Status != 200 ||
			r.Attempts != 1 || r.RequestID != "req-1" || r.RulesVersion != digest || len(digest) != 64 ||
			!strings.HasPrefix(r.DeliveryID, "sha256:") || r.ID != history.ID("website", r.DeliveryID) ||
			!slices.Equal(r.ContactIDs, []int64{int64(c.ID)}) {
			t.Fatalf("record %+v", r)
		}
		if r.Body != nil || r.Header != nil {
			t.Fatalf("a sync delivery's body was kept: %q %v", r.Body, r.Header)
		}
		if len(r.Events) != 1 {
			t.Fatalf("events %+v", r.Events)
		}
		e := r.Events[0]
		if e.Email != "j***@example.com" || e.Score != 70 || e.Label != "Hot lead" || e.ScoreLabel != "Hot lead" ||
			!slices.Equal(e.Matched, []string{"capture", "big-budget"}) || e.Owner == 0 {
			t.Fatalf("event %+v", e)
		}
		ops := func(calls []string) []string { return calls }
		var planned, made []string
		for _, p := range e.Planned {
			planned = append(planned, p.Op)
		}
		for _, m := range e.Made {
			made = append(made, fmt.Sprintf("%s %d", m.Op, m.Status))
			if m.DurationMS <= 0 || m.Attempt != 1 || m.Path == "" {
				t.Errorf("made call %+v", m)
			}
		}
		if !slices.Contains(ops(planned), "contacts.create") || !slices.Contains(made, "contacts.create 200") || len(e.Made) < 2 {
			t.Fatalf("planned %v made %v", planned, made)
		}
		raw, _ := json.Marshal(r)
		for _, pii := range []string{"jane.doe@example.com", "Jane Doe", "5551234567"} {
			if strings.Contains(string(raw), pii) {
				t.Errorf("the record holds %q unmasked: %s", pii, raw)
			}
		}
	})
}

func TestHistoryRetriedDeliveryIsOneRecord(t *testing.T) {
	store := historytest.SQLite(t)
	h := newHarness(t, withHistory(store))
	h.deskera.FailNext(deskera.DefaultMaxAttempts, http.StatusServiceUnavailable, 0) // every attempt of the search: the delivery answers 503
	body := "email=retry%40example.com"
	wantStatus(t, h.postForm(body, nil), 503)
	r := onlyRecord(t, store)
	if r.Outcome != history.OutcomeRetry || r.Status != 503 || r.Attempts != 1 {
		t.Fatalf("after 503: %+v", r)
	}
	made := r.Events[0].Made
	if len(made) != deskera.DefaultMaxAttempts {
		t.Fatalf("made calls %+v, want the %d attempts of the search", made, deskera.DefaultMaxAttempts)
	}
	for i, m := range made {
		if m.Status != 503 || m.Attempt != i+1 || m.Op != "contacts.list" {
			t.Errorf("attempt %d: %+v", i, m)
		}
	}
	wantStatus(t, h.postForm(body, nil), 200) // the sender retries
	r = onlyRecord(t, store)
	if r.Outcome != history.OutcomeOK || r.Status != 200 || r.Attempts != 2 {
		t.Fatalf("after the retry: outcome %q status %d attempts %d", r.Outcome, r.Status, r.Attempts)
	}
}

func TestHistoryDownDoesNotFailTheDelivery(t *testing.T) {
	store := historytest.SQLite(t)
	if err := store.Close(); err != nil { // every write now fails
		t.Fatal(err)
	}
	h := newHarness(t, withHistory(store))
	wantStatus(t, h.postForm("email=down%40example.com", nil), 200)
	h.onlyContact()
	if got := counterValue(t, h, "leadhook_history_write_failures_total"); got != 1 {
		t.Fatalf("history_write_failures_total = %v, want 1", got)
	}
	if !strings.Contains(h.logs.String(), "delivery history not written") {
		t.Fatalf("no log line for the failed write: %s", h.logs.String())
	}
	if strings.Contains(h.logs.String(), "down@example.com") {
		t.Fatal("the log holds the email unmasked")
	}
}

func TestHistoryQueuedDeliveryKeepsItsBody(t *testing.T) {
	store := historytest.SQLite(t)
	h := newHarness(t, withHistory(store))
	body := `{"email":"q@example.com","submission_id":"s-1"}`
	req := jsonRequest("survey", body)
	req.Header.Set("Authorization", "Bearer not-to-keep")
	ctx := handlers.WithDelivery(context.Background(), handlers.Delivery{Mode: history.ModeQueued, Attempt: 3})
	if resp := h.svc.Handle(ctx, "survey", req, false); resp.Status != 200 {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	r := onlyRecord(t, store)
	if r.Mode != history.ModeQueued || r.Attempts != 3 || string(r.Body) != body || r.Header["Content-Type"] != "application/json" ||
		r.BodyExpiresAt == nil || r.DeliveryID != "submission_id:s-1" {
		t.Fatalf("record %+v", r)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Fatal("a credential header was kept")
	}
}

func counterValue(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	mfs, err := h.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func jsonRequest(source, body string) *webhook.Request {
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/" + source, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/json"}}, ReceivedAt: time.Now().UTC()}
}
