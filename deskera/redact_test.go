package deskera_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// TestTokenNeverLogged drives the client through refreshes, failures and
// retries with a debug logger, then checks that no credential appears in
// the captured log, in any error, or in the client's String/LogValue.
func TestTokenNeverLogged(t *testing.T) {
	t.Parallel()
	const staleToken = "stale-token-ZZZ"
	log, buf := captureLogs()
	srv, c := newFake(t, deskera.WithAccessToken(staleToken), oauthOption(), deskera.WithLogger(log),
		deskera.WithRetry(2, time.Minute))
	ctx := context.Background()
	var errs []error
	collect := func(_ any, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	collect(c.ListLabels(ctx)) // 401 with the stale token, refresh, retry
	srv.FailNext(2, 503, 0)
	collect(c.ListLabels(ctx))
	srv.FailNext(1, 429, 10*time.Millisecond)
	collect(c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Ada"}))
	srv.DropNextAfterApply(1)
	collect(c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Bob"}))
	collect(c.GetContact(ctx, 4040))
	srv.ExpireTokens()
	collect(c.ListLabels(ctx))
	log.Info("client", "deskera", c)
	fmt.Fprintf(buf, "%v %+v %#v %s\n", c, c, c, c)

	bad, err := deskera.NewClient(deskera.WithBaseURL(srv.URL), deskera.WithLogger(log),
		deskera.WithOAuth("cid", "top-secret-XYZ", "refresh-secret-QQQ"), deskera.WithRetry(1, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	collect(bad.ListLabels(ctx))
	if len(errs) < 3 {
		t.Fatalf("expected several errors to inspect, got %v", errs)
	}
	out := buf.String()
	for _, e := range errs {
		out += "\n" + e.Error() + fmt.Sprintf(" %+v %#v", e, e)
	}
	secrets := []string{staleToken, deskeratest.DefaultToken, deskeratest.DefaultClientSecret,
		deskeratest.DefaultRefreshToken, "top-secret-XYZ", "refresh-secret-QQQ"}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q found in output:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "deskera: request") || !strings.Contains(out, "oauth") {
		t.Errorf("expected request logs and the client description, got:\n%s", out)
	}
}

// TestTokenEchoedInErrorBody checks that a server echoing the token in an
// error body does not leak it into the *APIError.
func TestTokenEchoedInErrorBody(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/crm/contacts/labels", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"bad token `+r.Header.Get("x-access-token")+`"}`, http.StatusBadRequest)
	})
	_, err := c.ListLabels(context.Background())
	if err == nil || strings.Contains(fmt.Sprintf("%+v %#v", err, err), testToken) {
		t.Errorf("token leaked or no error: %#v", err)
	}
}

func TestClientLogValue(t *testing.T) {
	t.Parallel()
	c, err := deskera.NewClient(deskera.WithAccessToken("tok-123"), deskera.WithRateLimit(5, 10))
	if err != nil {
		t.Fatal(err)
	}
	v := c.LogValue()
	if v.Kind() != slog.KindGroup {
		t.Fatalf("kind: %v", v.Kind())
	}
	got := map[string]string{}
	for _, a := range v.Group() {
		got[a.Key] = a.Value.String()
	}
	if got["base_url"] != deskera.DefaultBaseURL || got["auth"] != "token" || got["rate_limit"] != "5/s burst 10" {
		t.Errorf("got %v", got)
	}
}
