package webhook

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Stripe-Signature: t=<unix s>,v1=<hex>,v1=<hex>,v0=... . Every v1 is
// tried (rotation on Stripe's side) with every secret (timedHMAC); the
// HMAC-SHA256 key is the secret string as-is (whsec_ included), over
// "{t}.{body}"; t must be within the tolerance of now.
func newStripeVerifier(src rules.Source, opts Options) (Verifier, error) {
	return newTimedVerifier(src, opts, func(h timedHMAC, req *Request) bool {
		ts, sigs := stripeHeader(req.Header.Get("Stripe-Signature"))
		sec, err := strconv.ParseInt(ts, 10, 64)
		return err == nil && h.valid(time.Unix(sec, 0), sigs, []byte(ts+"."), req.Body)
	})
}

// stripeHeader splits the header into t and the decoded v1 signatures.
func stripeHeader(h string) (ts string, v1 [][]byte) {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				v1 = append(v1, b)
			}
		}
	}
	return ts, v1
}
