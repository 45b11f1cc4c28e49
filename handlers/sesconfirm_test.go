package handlers_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules/engine"
)

type requestKey struct{}

// confirmRecorder answers the SNS confirmation GET and keeps what the
// request's context carried.
type confirmRecorder struct {
	mu   sync.Mutex
	urls []string
	vals []any
}

func (c *confirmRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.urls = append(c.urls, r.URL.String())
	c.vals = append(c.vals, r.Context().Value(requestKey{}))
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("<ok/>")), Header: http.Header{}, Request: r}, nil
}

// TestSESSubscriptionConfirmedByServiceWithRequestContext: the SES parser
// only reports a SubscriptionConfirmation; the service does the GET, under
// the delivery's context (a dry run skips the SNS signature, not the
// confirmation, as before).
func TestSESSubscriptionConfirmedByServiceWithRequestContext(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:012345678912:example-topic"
	file := filepath.Join(t.TempDir(), "rules.yaml")
	yaml := "sources:\n  mail:\n    format: ses\n    auth: {type: sns, topic_arns: [" + topic + "]}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	set := handlerstest.Rules(t, file)
	eng, err := engine.NewEngine(newHarness(t).deskera.Client())
	if err != nil {
		t.Fatal(err)
	}
	rec := &confirmRecorder{}
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, AdminToken: adminToken,
		Webhook: webhook.Options{HTTPClient: &http.Client{Transport: rec}}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("webhook/testdata/ses/subscription_confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/mail", Body: body, RemoteIP: "127.0.0.1", ReceivedAt: time.Now(),
		Header: http.Header{"Content-Type": {"text/plain; charset=UTF-8"}, "Authorization": {"Bearer " + adminToken}}}
	ctx := context.WithValue(t.Context(), requestKey{}, "this delivery")
	resp := svc.Handle(ctx, "mail", req, true)
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, body %v", resp.Status, resp.Body)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.urls) != 1 || !strings.Contains(rec.urls[0], "Action=ConfirmSubscription") || rec.vals[0] != "this delivery" {
		t.Fatalf("confirmation GETs %q with context values %v, want one under the delivery's context", rec.urls, rec.vals)
	}
}
