package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// captureQueue records what the service stores.
type captureQueue struct {
	got []*handlers.QueuedDelivery
	dup bool
	err error
}

func (c *captureQueue) Enqueue(_ context.Context, d *handlers.QueuedDelivery) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	c.got = append(c.got, d)
	return c.dup, nil
}

const queuedRules = `sources:
  api:
    format: json
    delivery: queued
    auth: {type: token, header: X-Api-Token, token: s3cret-token}
rules:
  - name: capture
    when: 'event.email != ""'
    actions:
      - upsert_contact: {set: {name: event.email}}
`

// TestQueuedSourceAnswers202: a queued source stores the verified
// delivery without its credentials and answers 202; a repeat is marked
// replayed; a store that fails answers 503 + Retry-After (nothing
// stored: the sender retries); a dry run is not queued.
func TestQueuedSourceAnswers202(t *testing.T) {
	set, eng, _ := rulesOnFake(t, queuedRules)
	tests := []struct {
		name       string
		q          *captureQueue
		dryRun     bool
		wantStatus int
		wantReplay string
		wantStored int
	}{
		{name: "stored", q: &captureQueue{}, wantStatus: http.StatusAccepted, wantStored: 1},
		{name: "duplicate", q: &captureQueue{dup: true}, wantStatus: http.StatusAccepted, wantReplay: "true", wantStored: 1},
		{name: "store down", q: &captureQueue{err: errors.New("disk full")}, wantStatus: http.StatusServiceUnavailable},
		{name: "dry run stays sync", q: &captureQueue{}, dryRun: true, wantStatus: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, Queue: tc.q, AdminToken: adminToken})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{"Content-Type": {"application/json"}, "X-Api-Token": {"s3cret-token"},
				"Idempotency-Key": {"k1"}, "Cookie": {"session=abc"}}
			if tc.dryRun {
				h.Set("Authorization", "Bearer "+adminToken)
			}
			req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/api", Header: h, Body: []byte(`{"email":"a@acme.io"}`)}
			resp := svc.Handle(context.Background(), "api", req, tc.dryRun)
			if resp.Status != tc.wantStatus || resp.Header.Get(handlers.ReplayHeader) != tc.wantReplay {
				t.Fatalf("status %d replayed %q, want %d %q", resp.Status, resp.Header.Get(handlers.ReplayHeader), tc.wantStatus, tc.wantReplay)
			}
			if tc.wantStatus == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if len(tc.q.got) != tc.wantStored {
				t.Fatalf("%d stored, want %d", len(tc.q.got), tc.wantStored)
			}
			for _, d := range tc.q.got {
				for _, k := range []string{"X-Api-Token", "Cookie", "Authorization"} {
					if d.Header.Get(k) != "" {
						t.Errorf("stored header %s: credentials must not be stored", k)
					}
				}
				if d.DeliveryID != "k1" || string(d.Body) != `{"email":"a@acme.io"}` || d.Source != "api" {
					t.Errorf("stored %+v", d)
				}
			}
		})
	}
}

// TestQueuedDeliveryKeepsItsIDs: the worker's lines carry the request id
// the intake answered with (X-Request-Id) and the delivery id, so one
// delivery can be followed from its 202 to its contact.
func TestQueuedDeliveryKeepsItsIDs(t *testing.T) {
	set, eng, _ := rulesOnFake(t, queuedRules)
	logs := &syncbuf.Buffer{}
	q := &captureQueue{}
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, Queue: q,
		Logger: handlers.NewLogger(logs, slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Api-Token": {"s3cret-token"}, "Idempotency-Key": {"k1"}}
	req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/api", Header: h, Body: []byte(`{"email":"a@acme.io"}`)}
	resp := svc.Handle(context.Background(), "api", req, false)
	reqID := resp.Header.Get("X-Request-Id")
	if resp.Status != http.StatusAccepted || reqID == "" || len(q.got) != 1 {
		t.Fatalf("intake: status %d, X-Request-Id %q, %d stored", resp.Status, reqID, len(q.got))
	}
	if res := svc.ProcessQueued(context.Background(), q.got[0]); res.Status != http.StatusOK {
		t.Fatalf("worker: %+v", res)
	}
	var n int
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["request_id"] != reqID || m["delivery_id"] != "k1" {
			t.Errorf("line %q lacks request_id %q or delivery_id k1: %v", m["msg"], reqID, m)
		}
		n++
	}
	if n < 2 { // at least the intake's "event queued" and the worker's event line
		t.Fatalf("%d log lines, want the intake's and the worker's", n)
	}
}
