package deskeratest

import (
	"fmt"
	"net/http"
)

// handleToken serves POST /v2/oauth/token?grant_type=refresh_token&refresh_token=...
// with HTTP Basic client credentials, issuing a new access token each time
// (the refresh token is not rotated).
func (f *Fake) handleToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, secret, ok := r.BasicAuth()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !ok || id != f.clientID || secret != f.clientSecret:
		writeError(w, http.StatusUnauthorized, "invalid client credentials")
		return
	case q.Get("grant_type") != "refresh_token":
		writeError(w, http.StatusBadRequest, "unsupported grant_type")
		return
	case q.Get("refresh_token") != f.refreshToken:
		writeError(w, http.StatusUnauthorized, "invalid refresh token")
		return
	}
	f.issued++
	token := fmt.Sprintf("%s-%d", DefaultToken, f.issued+1)
	f.tokens[token] = true
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  token,
		"refresh_token": f.refreshToken,
		"token_type":    "bearer",
		"expires_in":    int(f.tokenTTL.Seconds()),
	})
}

// Issued returns how many access tokens the OAuth endpoint has issued.
func (f *Fake) Issued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}
