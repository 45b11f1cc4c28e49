package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
)

// oauthVars points leadhook at api for the contacts API and at auth (a
// rotating OAuth endpoint on another host) for tokens.
func oauthVars(api, auth *deskeratest.Server) map[string]string {
	for i := 2; i < 12; i++ { // the tokens auth will issue
		api.AddToken(deskeratest.DefaultToken + "-" + strconv.Itoa(i))
	}
	return map[string]string{
		"DESKERA_BASE_URL": api.URL, "DESKERA_OAUTH_URL": auth.URL + "/v2/oauth/token",
		"DESKERA_CLIENT_ID": deskeratest.DefaultClientID, "DESKERA_CLIENT_SECRET": deskeratest.DefaultClientSecret,
		"DESKERA_REFRESH_TOKEN": deskeratest.DefaultRefreshToken,
	}
}

// TestServeOAuthURLAndDataDir: DESKERA_OAUTH_URL sends the refresh to
// its own host, and LEADHOOK_DATA_DIR keeps the rotated refresh token in
// a 0600 file, so that a restart with the original (now revoked)
// DESKERA_REFRESH_TOKEN still starts ready.
func TestServeOAuthURLAndDataDir(t *testing.T) {
	api := deskeratest.NewServer(t)
	auth := deskeratest.NewServer(t, deskeratest.WithRotation())
	vars := oauthVars(api, auth)
	vars["LEADHOOK_DATA_DIR"] = t.TempDir()
	restartReady(t, vars, func() {
		if auth.Count("oauth.token") == 0 || api.Count("oauth.token") != 0 {
			t.Fatalf("refreshes: oauth host %d, api host %d", auth.Count("oauth.token"), api.Count("oauth.token"))
		}
		fi, err := os.Stat(filepath.Join(vars["LEADHOOK_DATA_DIR"], deskera.TokenFileName))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("token file: %v %v, want mode 0600", fi, err)
		}
	})
}

// restartReady serves with vars until a clean stop, runs between, then
// serves again and wants /readyz ready: the rotated refresh token was
// kept where the restart finds it.
func restartReady(t *testing.T, vars map[string]string, between func()) {
	t.Helper()
	_, logs, stop := startServe(t, vars)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, logs)
	}
	between()
	base, logs, stop := startServe(t, vars)
	defer stop()
	if code, body := get(t, base+"/readyz", nil); code != 200 {
		t.Fatalf("readyz after restart: %d %s\n%s", code, body, logs)
	}
}

// TestServeTokenInRedis: with LEADHOOK_REDIS_URL the rotated token is
// shared through Redis (replicas and restarts).
func TestServeTokenInRedis(t *testing.T) {
	rs := redistest.Start(t)
	api := deskeratest.NewServer(t)
	auth := deskeratest.NewServer(t, deskeratest.WithRotation())
	vars := oauthVars(api, auth)
	vars["LEADHOOK_REDIS_URL"] = rs.URL()
	restartReady(t, vars, func() {})
}
