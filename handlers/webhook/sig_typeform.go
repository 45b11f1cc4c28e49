package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, body)>. No
// timestamp: replays are caught by event_id deduplication.

func newTypeformVerifier(src rules.Source, _ Options) (Verifier, error) {
	key, err := provSecret(src)
	if err != nil {
		return nil, err
	}
	return VerifierFunc(func(req *Request) error {
		got, ok := strings.CutPrefix(req.Header.Get("Typeform-Signature"), "sha256=")
		if !ok {
			return Unauthorized()
		}
		sig, err := base64.StdEncoding.DecodeString(got)
		if err != nil || !hmac.Equal(sig, hmacSHA256(key, req.Body)) {
			return Unauthorized()
		}
		return nil
	}), nil
}
