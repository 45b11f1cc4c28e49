package webhook

import (
	"crypto/hmac"
	"encoding/hex"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)> (GitHub and
// the many senders that copy it). No timestamp: deduplicate on
// X-GitHub-Delivery.

func newGitHubVerifier(src rules.Source, _ Options) (Verifier, error) {
	key, err := provSecret(src)
	if err != nil {
		return nil, err
	}
	return VerifierFunc(func(req *Request) error {
		got, ok := strings.CutPrefix(req.Header.Get("X-Hub-Signature-256"), "sha256=")
		if !ok {
			return Unauthorized()
		}
		sig, err := hex.DecodeString(got)
		if err != nil || !hmac.Equal(sig, hmacSHA256(key, req.Body)) {
			return Unauthorized()
		}
		return nil
	}), nil
}
