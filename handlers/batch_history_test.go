package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// batchRules: a sync source and a queued one, both JSON with a token.
const batchRules = `sources:
  api:
    format: json
    auth: {type: token, header: X-Api-Token, token: s3cret-token}
  forms:
    format: json
    delivery: queued
    auth: {type: token, header: X-Api-Token, token: s3cret-token}
rules:
  - name: capture
    when: 'event.email != ""'
    actions:
      - upsert_contact: {set: {name: event.email}}
`

func batchEntry(source, id, email string) handlers.BatchEntry {
	h := http.Header{"Content-Type": {"application/json"}, "X-Api-Token": {"s3cret-token"}, "Idempotency-Key": {id}}
	return handlers.BatchEntry{Source: source, Req: &webhook.Request{Method: http.MethodPost, Path: "/hooks/" + source, Header: h,
		Body: []byte(`{"email":"` + email + `"}`), RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}}
}

// TestHandleBatchHistoryAndQueued: in a batch (an SQS batch), each
// delivery acted on gets its own history record with its event, and a
// delivery of a queued source is stored for the workers and answered
// 202, as Handle does, not acted on in the batch.
func TestHandleBatchHistoryAndQueued(t *testing.T) {
	set, err := rules.Load("r.yaml", []byte(batchRules))
	if err != nil {
		t.Fatal(err)
	}
	fake := deskeratest.NewServer(t)
	engine, err := rules.NewEngine(fake.Client())
	if err != nil {
		t.Fatal(err)
	}
	hist := historytest.SQLite(t)
	q := &captureQueue{}
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: engine, History: hist, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	resps := svc.HandleBatch(context.Background(), []handlers.BatchEntry{
		batchEntry("api", "b-1", "one@acme.io"),
		batchEntry("forms", "b-2", "two@acme.io"),
		batchEntry("api", "b-3", "three@acme.io"),
	})
	for i, want := range []int{http.StatusOK, http.StatusAccepted, http.StatusOK} {
		if resps[i].Status != want {
			t.Errorf("delivery %d: status %d, want %d (%v)", i, resps[i].Status, want, resps[i].Body)
		}
	}
	if len(q.got) != 1 || q.got[0].Source != "forms" || q.got[0].DeliveryID != "b-2" {
		t.Fatalf("queued %+v, want the forms delivery b-2", q.got)
	}
	if got := len(fake.Contacts()); got != 2 {
		t.Errorf("%d contacts, want 2 (the queued one waits for a worker)", got)
	}
	for _, tc := range []struct{ id, email string }{{"b-1", "o***@acme.io"}, {"b-3", "t***@acme.io"}} {
		rec, err := hist.Get(context.Background(), history.ID("api", tc.id))
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
