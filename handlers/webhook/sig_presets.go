package webhook

import "github.com/leadhook/leadhook/rules"

// Typeform, Tally and GitHub sign the raw body with HMAC-SHA256 and carry
// it in a fixed header, so each is the generic hmac-sha256 verifier with
// its header, prefix and encoding preset (every secret of auth.secret and
// auth.secrets is tried). None has a timestamp: replays are caught by
// delivery-id deduplication only, while the id is remembered (the dedupe
// TTL); the delivery id always includes a hash of the signed body (see
// handlers.deliveryID), so an unsigned header cannot make a replay new.

// newTypeformVerifier: Typeform-Signature: sha256=<base64 HMAC>.
func newTypeformVerifier(src rules.Source, opts Options) (Verifier, error) {
	return newHMACPreset(src, opts, "Typeform-Signature", "sha256=", "base64")
}

// newTallyVerifier: Tally-Signature: <base64 HMAC>.
func newTallyVerifier(src rules.Source, opts Options) (Verifier, error) {
	return newHMACPreset(src, opts, "Tally-Signature", "", "base64")
}

// newGitHubVerifier: X-Hub-Signature-256: sha256=<hex HMAC> (GitHub and the
// many senders that copy it).
func newGitHubVerifier(src rules.Source, opts Options) (Verifier, error) {
	return newHMACPreset(src, opts, "X-Hub-Signature-256", "sha256=", "hex")
}

func newHMACPreset(src rules.Source, opts Options, header, prefix, encoding string) (Verifier, error) {
	if _, err := provSecrets(src); err != nil {
		return nil, err
	}
	src.Auth.Header, src.Auth.Prefix, src.Auth.Encoding = header, prefix, encoding
	src.Auth.TimestampHeader = "" // these senders sign no timestamp
	return newHMACVerifier(src, opts)
}
