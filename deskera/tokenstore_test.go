package deskera_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// oauthClient is a client of srv that authenticates with OAuth only (no
// initial access token), so that its first call refreshes.
func oauthClient(t *testing.T, srv *deskeratest.Server, refresh string, opts ...deskera.Option) *deskera.Client {
	t.Helper()
	all := append([]deskera.Option{deskera.WithBaseURL(srv.URL), deskera.WithHTTPClient(srv.HTTPClient()),
		deskera.WithRateLimit(0, 0), deskera.WithBackoff(time.Millisecond, 2*time.Millisecond),
		deskera.WithOAuth(deskeratest.DefaultClientID, deskeratest.DefaultClientSecret, refresh)}, opts...)
	c, err := deskera.NewClient(all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRotatedRefreshTokenSurvivesRestart: with refresh-token rotation, a
// second process started with the same (now revoked) DESKERA_REFRESH_TOKEN
// goes on with the rotated token kept in the data directory, in a 0600
// file that does not hold the seed token.
func TestRotatedRefreshTokenSurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t, deskeratest.WithRotation())
	dir := filepath.Join(t.TempDir(), "data")
	store := deskera.FileTokenStore{Dir: dir}
	ctx := context.Background()

	first := oauthClient(t, srv, deskeratest.DefaultRefreshToken, deskera.WithTokenStore(store))
	if _, err := first.ListLabels(ctx); err != nil {
		t.Fatalf("first process: %v", err)
	}
	path := filepath.Join(dir, deskera.TokenFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("token file mode: got %o, want 600", mode)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), srv.RefreshToken()) || strings.Contains(string(b), `"`+deskeratest.DefaultRefreshToken+`"`) {
		t.Errorf("token file %s: want the rotated token and not the seed", b)
	}

	// Restart: the configured token has been revoked by the rotation.
	second := oauthClient(t, srv, deskeratest.DefaultRefreshToken, deskera.WithTokenStore(store))
	if _, err := second.ListLabels(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}

	// Without the store the restart is refused, as before the fix.
	third := oauthClient(t, srv, deskeratest.DefaultRefreshToken)
	_, err = third.ListLabels(ctx)
	if !errors.Is(err, deskera.ErrCredentials) {
		t.Fatalf("without a store: got %v, want ErrCredentials", err)
	}
	if hint := deskera.CredentialsHint(err); !strings.Contains(hint, "DESKERA_REFRESH_TOKEN") {
		t.Errorf("hint %q does not say what to do", hint)
	}
	if strings.Contains(err.Error(), deskeratest.DefaultRefreshToken) {
		t.Errorf("error reveals the refresh token: %v", err)
	}
}

// TestNewSeedTokenWinsOverStored: an operator-supplied new refresh token
// is used even when the store holds one rotated from the old seed.
func TestNewSeedTokenWinsOverStored(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	store := deskera.FileTokenStore{Dir: t.TempDir()}
	ctx := context.Background()
	if err := store.Save(ctx, deskera.StoredToken{Seed: "old-seed-hash", RefreshToken: "stale"}); err != nil {
		t.Fatal(err)
	}
	c := oauthClient(t, srv, deskeratest.DefaultRefreshToken, deskera.WithTokenStore(store))
	if _, err := c.ListLabels(ctx); err != nil {
		t.Fatalf("got %v", err)
	}
}

// TestRefreshAnswerLostIsRetried: a refresh answered 500 (or not at all)
// may have reached Deskera; it is retried before the token is given up.
func TestRefreshAnswerLostIsRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(*deskeratest.Server)
	}{
		{"500", func(s *deskeratest.Server) { s.FailNext(1, http.StatusInternalServerError, 0) }},
		{"dropped", func(s *deskeratest.Server) { s.DropNext(1) }},
		{"500 twice", func(s *deskeratest.Server) { s.FailNext(2, http.StatusInternalServerError, 0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := deskeratest.NewServer(t)
			c := oauthClient(t, srv, deskeratest.DefaultRefreshToken)
			tc.fault(srv)
			if _, err := c.ListLabels(context.Background()); err != nil {
				t.Fatalf("got %v, want the refresh retried", err)
			}
		})
	}
}

// TestOAuthURL: the token endpoint may live on another host.
func TestOAuthURL(t *testing.T) {
	t.Parallel()
	api := deskeratest.NewServer(t)
	auth := deskeratest.NewServer(t)
	c := oauthClient(t, api, deskeratest.DefaultRefreshToken, deskera.WithOAuthURL(auth.URL+"/v2/oauth/token"))
	// The API fake does not know the oauth host's tokens: only where the
	// refresh went matters here.
	_, _ = c.ListLabels(context.Background())
	if got := auth.Count("oauth.token"); got < 1 {
		t.Errorf("token endpoint calls on the oauth host: got %d, want at least 1", got)
	}
	testCalls(t, api, "oauth.token", 0)
	if _, err := deskera.NewClient(deskera.WithOAuth("a", "b", "c"), deskera.WithOAuthURL("not a url")); err == nil {
		t.Error("bad oauth url accepted")
	}
}

// TestLostRotatedRefreshSaysWhatToDo: a refresh that reached Deskera and
// rotated the token, but whose answer was lost, cannot be recovered with
// the old token: after retrying, the operator gets one ERROR line (not
// one per call) saying the answer was lost and what to set, without the
// token value.
func TestLostRotatedRefreshSaysWhatToDo(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t, deskeratest.WithRotation())
	var logs syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	c := oauthClient(t, srv, deskeratest.DefaultRefreshToken, deskera.WithLogger(log))
	srv.DropNextAfterApply(1)
	ctx := context.Background()
	_, err := c.ListLabels(ctx)
	if !errors.Is(err, deskera.ErrCredentials) {
		t.Fatalf("got %v, want ErrCredentials", err)
	}
	if hint := deskera.CredentialsHint(err); !strings.Contains(hint, "answer was lost") || !strings.Contains(hint, "DESKERA_REFRESH_TOKEN") {
		t.Errorf("hint %q", hint)
	}
	if _, err := c.ListLabels(ctx); !errors.Is(err, deskera.ErrCredentials) {
		t.Fatalf("second call: %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, `"level":"ERROR"`); n != 1 {
		t.Errorf("%d ERROR lines, want 1:\n%s", n, out)
	}
	if strings.Contains(out, deskeratest.DefaultRefreshToken+`"`) || strings.Contains(out, srv.RefreshToken()) {
		t.Errorf("logs reveal a refresh token:\n%s", out)
	}
}
