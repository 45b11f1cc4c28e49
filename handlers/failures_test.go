package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
)

// metric returns the value text of the exported sample named line (e.g.
// `leadhook_failures_total{cause="credentials"}`), "" when absent.
func (h *harness) metric(line string) string {
	h.t.Helper()
	r := h.get("/metrics")
	for _, l := range strings.Split(string(r.Raw), "\n") {
		if v, ok := strings.CutPrefix(l, line+" "); ok {
			return v
		}
	}
	return ""
}

func (h *harness) get(path string) reply {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

func (h *harness) readyz() reply {
	h.t.Helper()
	return h.get("/readyz")
}

// TestRefusedRefreshTokenIsTemporary: Deskera refusing our refresh token
// (invalid_grant) is ours, not the sender's: 503 + Retry-After, not
// stored, an ERROR line saying what to do, a metric and /readyz not
// ready; once the token is fixed the sender's retry of the same delivery
// succeeds and /readyz is ready again. Before, it was a stored 422.
func TestRefusedRefreshTokenIsTemporary(t *testing.T) {
	h := newHarnessSetup(t, harnessSetup{client: []deskera.Option{
		deskera.WithOAuth(deskeratest.DefaultClientID, deskeratest.DefaultClientSecret, deskeratest.DefaultRefreshToken)}})
	h.deskera.ExpireTokens()
	h.deskera.SetRefreshToken("rotated-by-someone-else")
	body := "email=pat%40example.com&name=Pat"
	key := map[string]string{"Idempotency-Key": "d-1"}

	r := h.postForm(body, key)
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if msg, _ := r.JSON["error"].(string); !strings.Contains(msg, "DESKERA_REFRESH_TOKEN") {
		t.Errorf("answer does not say what to do: %s", r.Raw)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "refresh token refused") {
		t.Errorf("no ERROR line for the operator:\n%s", logs)
	}
	if got := h.metric(`leadhook_failures_total{cause="credentials"}`); got != "1" {
		t.Errorf("failures_total{cause=credentials} = %q, want 1", got)
	}
	rz := h.readyz()
	wantStatus(t, rz, http.StatusServiceUnavailable)
	if msg, _ := rz.JSON["error"].(string); !strings.Contains(msg, "deskera credentials refused") || !strings.Contains(msg, "DESKERA_REFRESH_TOKEN") {
		t.Errorf("readyz reason: %s", rz.Raw)
	}
	if strings.Contains(string(rz.Raw)+string(r.Raw), deskeratest.DefaultRefreshToken+`"`) {
		t.Error("an answer reveals the refresh token")
	}

	h.deskera.SetRefreshToken(deskeratest.DefaultRefreshToken) // the operator fixed it
	r = h.postForm(body, key)
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Error("the 503 was stored and replayed")
	}
	if c := h.onlyContact(); c.Email != "pat@example.com" {
		t.Errorf("contact %+v", c)
	}
	wantStatus(t, h.readyz(), http.StatusOK)
}

// TestRecreatedLabelReloadsAndSucceeds: a label deleted and recreated in
// Deskera (new id) makes Deskera refuse the cached id; leadhook reloads
// the labels once and succeeds. Before, every hot lead was a stored 422.
func TestRecreatedLabelReloadsAndSucceeds(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.deskera.Client()
	var hot deskera.Label
	labels, err := c.ListLabels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range labels {
		if l.Name == "Hot lead" {
			hot = l
		}
	}
	if err := c.DeleteLabel(ctx, hot.ID); err != nil {
		t.Fatal(err)
	}
	newID, err := c.CreateLabel(ctx, &deskera.LabelRequest{Name: "Hot lead", Color: hot.Color, Icon: hot.Icon})
	if err != nil {
		t.Fatal(err)
	}
	r := h.postForm("email=hot%40example.com&budget=20000", map[string]string{"Idempotency-Key": "hot-1"})
	wantStatus(t, r, http.StatusOK)
	if got := h.onlyContact().LabelID; got != newID {
		t.Errorf("label id = %d, want the recreated %d (old %d)", got, newID, hot.ID)
	}
}

// TestLabelGoneIsTemporary: a label deleted in Deskera (not declared with
// create: true) is our configuration: 503, not stored, /readyz says so.
func TestLabelGoneIsTemporary(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, func(_ *harness, _ *handlers.ServerConfig, cfg *handlers.Config) { cfg.Webhook.Now = clock })
	ctx := context.Background()
	c := h.deskera.Client()
	labels, _ := c.ListLabels(ctx)
	for _, l := range labels {
		if l.Name == "Hot lead" {
			if err := c.DeleteLabel(ctx, l.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := h.postForm("email=hot%40example.com&budget=20000", map[string]string{"Idempotency-Key": "hot-2"})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if got := h.metric(`leadhook_failures_total{cause="config"}`); got != "1" {
		t.Errorf("failures_total{cause=config} = %q, want 1", got)
	}
	rz := h.readyz()
	wantStatus(t, rz, http.StatusServiceUnavailable)
	if msg, _ := rz.JSON["error"].(string); !strings.Contains(msg, "Hot lead") {
		t.Errorf("readyz reason: %s", rz.Raw)
	}
	// Out of the load balancer no delivery can prove it fixed: the reason
	// lapses, and the next failing delivery sets it again.
	mu.Lock()
	now = now.Add(handlers.DefaultNotReadyFor)
	mu.Unlock()
	wantStatus(t, h.readyz(), http.StatusOK)
	wantStatus(t, h.postForm("email=hot%40example.com&budget=20000", map[string]string{"Idempotency-Key": "hot-2"}), http.StatusServiceUnavailable)
	wantStatus(t, h.readyz(), http.StatusServiceUnavailable)
}

// TestRuleRuntimeErrorIsRetried: a rule that errors at run time answers a
// 5xx naming the rule (not 200 "ok"), is not stored, logs at ERROR and is
// counted in rules_errored_total, which is exported at 0 from the start.
func TestRuleRuntimeErrorIsRetried(t *testing.T) {
	h := newHarnessSetup(t, harnessSetup{rules: "testdata/rule-error.yaml"})
	if got := h.metric(`leadhook_rules_errored_total{rule="seats"}`); got != "0" {
		t.Errorf("rules_errored_total{rule=seats} before any event = %q, want 0", got)
	}
	key := map[string]string{"Idempotency-Key": "seats-1"}
	r := h.postForm("email=pat%40example.com&seats=many", key)
	wantStatus(t, r, http.StatusServiceUnavailable)
	if msg, _ := r.JSON["error"].(string); !strings.Contains(msg, `"seats"`) {
		t.Errorf("answer does not name the rule: %s", r.Raw)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if got := h.metric(`leadhook_rules_errored_total{rule="seats"}`); got != "1" {
		t.Errorf("rules_errored_total{rule=seats} = %q, want 1", got)
	}
	if !strings.Contains(h.logs.String(), `"level":"ERROR","msg":"event"`) {
		t.Errorf("event line is not ERROR:\n%s", h.logs.String())
	}
	if n := len(h.deskera.Contacts()); n != 0 {
		t.Errorf("%d contacts created by a half-evaluated event", n)
	}
	r = h.postForm("email=pat%40example.com&seats=many", key)
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Error("the 5xx was stored and replayed")
	}
}
