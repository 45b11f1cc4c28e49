package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules/engine"
)

// TestQueuedResult: what a worker learns from processing: done, the
// delivery's fault (final), Deskera down (pause everyone, Retry-After
// kept) or another temporary failure.
func TestQueuedResult(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		cause      engine.Cause
		retryAfter time.Duration
		want       QueuedResult
	}{
		{name: "done", status: http.StatusOK, want: QueuedResult{Status: 200, Final: true}},
		{name: "deskera refused the data", status: http.StatusUnprocessableEntity, cause: engine.CauseDelivery,
			want: QueuedResult{Status: 422, Final: true, Message: "boom"}},
		{name: "deskera 429 with Retry-After", status: http.StatusServiceUnavailable, cause: engine.CauseDeskera, retryAfter: 30 * time.Second,
			want: QueuedResult{Status: 503, CRMDown: true, RetryAfter: 30 * time.Second, Message: "boom"}},
		{name: "credentials refused", status: http.StatusServiceUnavailable, cause: engine.CauseCredentials, retryAfter: time.Minute,
			want: QueuedResult{Status: 503, CRMDown: true, RetryAfter: time.Minute, Message: "boom"}},
		{name: "rule error", status: http.StatusServiceUnavailable, cause: engine.CauseRule, retryAfter: 30 * time.Second,
			want: QueuedResult{Status: 503, RetryAfter: 30 * time.Second, Message: "boom"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &EventResult{status: tc.status, cause: tc.cause}
			if tc.cause != "" {
				r.Error = "boom"
			}
			got := queuedResult(Response{Status: tc.status, results: []*EventResult{r}, retryAfter: tc.retryAfter})
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestQueuedAnswerBytes: a 202's body is byte for byte what the map it
// replaced encoded to, HTML-escaped characters included.
func TestQueuedAnswerBytes(t *testing.T) {
	for _, id := range []string{"sha256:3b0da174d7003096ac2cde9641a250a1", `<a href="x">&é` + "\u2028", ""} {
		want, err := json.Marshal(map[string]any{"status": OutcomeQueued, "source": "web_site-2", "delivery_id": id})
		if err != nil {
			t.Fatal(err)
		}
		got := jsonResponse(http.StatusAccepted, queuedAnswer{DeliveryID: id, Source: "web_site-2", Status: OutcomeQueued})
		if b, _ := got.Body.(json.RawMessage); !bytes.Equal(b, want) {
			t.Errorf("id %q: body %s, want %s", id, got.Body, want)
		}
	}
}
