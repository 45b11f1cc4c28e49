package webhook

import "github.com/leadhook/leadhook/rules"

// Typeform, Tally and GitHub sign the raw body with HMAC-SHA256 and carry
// it in a fixed header, so each is the generic hmac-sha256 verifier with
// its header, prefix and encoding preset. None has a timestamp: replays are
// caught by delivery-id deduplication (Typeform event_id, Tally eventId,
// X-GitHub-Delivery or the source's id_field).

// newTypeformVerifier: Typeform-Signature: sha256=<base64 HMAC>.
func newTypeformVerifier(src rules.Source, _ Options) (Verifier, error) {
	return newHMACPreset(src, "Typeform-Signature", "sha256=", "base64")
}

// newTallyVerifier: Tally-Signature: <base64 HMAC>.
func newTallyVerifier(src rules.Source, _ Options) (Verifier, error) {
	return newHMACPreset(src, "Tally-Signature", "", "base64")
}

// newGitHubVerifier: X-Hub-Signature-256: sha256=<hex HMAC> (GitHub and the
// many senders that copy it).
func newGitHubVerifier(src rules.Source, _ Options) (Verifier, error) {
	return newHMACPreset(src, "X-Hub-Signature-256", "sha256=", "hex")
}

func newHMACPreset(src rules.Source, header, prefix, encoding string) (Verifier, error) {
	if _, err := provSecret(src); err != nil {
		return nil, err
	}
	src.Auth.Header, src.Auth.Prefix, src.Auth.Encoding = header, prefix, encoding
	return newHMACVerifier(src)
}
