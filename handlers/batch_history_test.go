package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
)

// batchRules are queuedRules (source api, queued) with a sync source,
// direct, beside it.
var batchRules = strings.Replace(queuedRules, "rules:\n",
	"  direct:\n    format: json\n    auth: {type: token, header: X-Api-Token, token: s3cret-token}\nrules:\n", 1)

func batchEntry(source, id, email string) handlers.BatchEntry {
	req := deskeraHook(`{"email":"`+email+`"}`, "X-Api-Token", "s3cret-token", "Idempotency-Key", id)
	req.Path = "/hooks/" + source
	return handlers.BatchEntry{Source: source, Req: req}
}

// TestHandleBatchHistoryAndQueued: in a batch (an SQS batch), each
// delivery acted on gets its own history record with its event, and a
// delivery of a queued source is stored for the workers and answered
// 202, as Handle does, not acted on in the batch.
func TestHandleBatchHistoryAndQueued(t *testing.T) {
	set, eng, fake := rulesOnFake(t, batchRules)
	hist := historytest.SQLite(t)
	q := &captureQueue{}
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, History: hist, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	resps := svc.HandleBatch(context.Background(), []handlers.BatchEntry{
		batchEntry("direct", "b-1", "one@acme.io"),
		batchEntry("api", "b-2", "two@acme.io"),
		batchEntry("direct", "b-3", "three@acme.io"),
	})
	for i, want := range []int{http.StatusOK, http.StatusAccepted, http.StatusOK} {
		if resps[i].Status != want {
			t.Errorf("delivery %d: status %d, want %d (%v)", i, resps[i].Status, want, resps[i].Body)
		}
	}
	if len(q.got) != 1 || q.got[0].Source != "api" || q.got[0].DeliveryID != "b-2" {
		t.Fatalf("queued %+v, want the api delivery b-2", q.got)
	}
	if got := len(fake.Contacts()); got != 2 {
		t.Errorf("%d contacts, want 2 (the queued one waits for a worker)", got)
	}
	for _, tc := range []struct{ id, email string }{{"b-1", "o***@acme.io"}, {"b-3", "t***@acme.io"}} {
		rec, err := hist.Get(context.Background(), history.ID("direct", tc.id))
		if err != nil {
			t.Fatalf("record of %s: %v", tc.id, err)
		}
		if rec.Outcome != history.OutcomeOK || rec.Mode != history.ModeSync || len(rec.Events) != 1 ||
			rec.Events[0].Email != tc.email || len(rec.ContactIDs) != 1 || rec.RulesVersion != set.Digest() {
			t.Errorf("record of %s: %+v", tc.id, rec)
		}
	}
	// The queued delivery's first record travels with it, for the queue
	// to commit with the job.
	if r := q.got[0].Record; r == nil || r.Outcome != history.OutcomeQueued || r.ID != q.got[0].RecordID || r.Body == nil {
		t.Errorf("queued delivery's record %+v (record id %q)", r, q.got[0].RecordID)
	}
}
