package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Tally-Signature: <base64 HMAC-SHA256(secret, body)>, no prefix and no
// timestamp: replays are caught by eventId deduplication.

func newTallyVerifier(src rules.Source, _ Options) (Verifier, error) {
	key, err := provSecret(src)
	if err != nil {
		return nil, err
	}
	return VerifierFunc(func(req *Request) error {
		got := strings.TrimSpace(req.Header.Get("Tally-Signature"))
		if got == "" {
			return Unauthorized()
		}
		sig, err := base64.StdEncoding.DecodeString(got)
		if err != nil || !hmac.Equal(sig, hmacSHA256(key, req.Body)) {
			return Unauthorized()
		}
		return nil
	}), nil
}
