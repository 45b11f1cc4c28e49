package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
)

func TestReplayRunsAKeptBodyAgain(t *testing.T) {
	store := historytest.SQLite(t)
	h := newHarness(t, withHistory(store))
	ctx := context.Background()
	queued := handlers.WithDelivery(ctx, handlers.Delivery{Mode: history.ModeQueued})
	h.deskera.FailNext(deskera.DefaultMaxAttempts, http.StatusServiceUnavailable, 0) // Deskera is down
	if resp := h.svc.Handle(queued, "survey", jsonRequest("survey", `{"email":"replay@example.com","submission_id":"r-1"}`), false); resp.Status != 503 {
		t.Fatalf("status %d", resp.Status)
	}
	rec := onlyRecord(t, store)
	if rec.Outcome != history.OutcomeRetry || rec.Body == nil {
		t.Fatalf("record %+v", rec)
	}
	cases := []struct {
		name         string
		dryRun       bool
		wantContacts int
		wantAttempts int
		wantOutcome  string
	}{
		{"dry run plans only and records nothing", true, 0, 1, history.OutcomeRetry},
		{"replay acts again on the same record", false, 1, 2, history.OutcomeOK},
		{"a second replay converges (upsert)", false, 1, 3, history.OutcomeOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.svc.Replay(ctx, rec, tc.dryRun)
			if err != nil || resp.Status != 200 {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			raw, _ := json.Marshal(resp.Body)
			if tc.dryRun && !strings.Contains(string(raw), `"outcome":"dry_run"`) {
				t.Fatalf("dry run answer %s", raw)
			}
			if n := len(h.deskera.Contacts()); n != tc.wantContacts {
				t.Fatalf("%d contacts, want %d", n, tc.wantContacts)
			}
			if got := onlyRecord(t, store); got.Attempts != tc.wantAttempts || got.Outcome != tc.wantOutcome || got.Body == nil {
				t.Fatalf("attempts %d outcome %q (body kept %v), want %d %q", got.Attempts, got.Outcome, got.Body != nil, tc.wantAttempts, tc.wantOutcome)
			}
		})
	}
}

func TestReplayWithoutBodyIsAConflict(t *testing.T) {
	store := historytest.SQLite(t)
	h := newHarness(t, withHistory(store))
	wantStatus(t, h.postForm("email=sync%40example.com", nil), 200)
	rec := onlyRecord(t, store)
	if _, err := h.svc.Replay(context.Background(), rec, false); !errors.Is(err, handlers.ErrNoBody) {
		t.Fatalf("err %v, want ErrNoBody", err)
	}
}
