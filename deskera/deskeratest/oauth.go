package deskeratest

import (
	"fmt"
	"net/http"
)

// handleToken serves POST /v2/oauth/token?grant_type=refresh_token&refresh_token=...
// with HTTP Basic client credentials, issuing a new access token each time.
// The refresh token is rotated on every refresh when the fake was built
// WithRotation. An unknown refresh token is answered as OAuth 2.0 (RFC 6749
// section 5.2) says: 400 {"error": "invalid_grant"}.
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
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant",
			"error_description": "the refresh token is invalid, expired or revoked"})
		return
	}
	f.issued++
	if f.rotate {
		f.refreshToken = fmt.Sprintf("%s-r%d", DefaultRefreshToken, f.issued)
	}
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

// WithRotation makes every refresh issue a new refresh token and revoke
// the one used, as OAuth servers with refresh-token rotation do.
func WithRotation() Option {
	return func(f *Fake) { f.rotate = true }
}

// RefreshToken returns the refresh token the OAuth endpoint accepts now.
func (f *Fake) RefreshToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshToken
}

// SetRefreshToken replaces the refresh token the OAuth endpoint accepts
// (an operator issuing a new one, or revoking ours).
func (f *Fake) SetRefreshToken(t string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshToken = t
}
