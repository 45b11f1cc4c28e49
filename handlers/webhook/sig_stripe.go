package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Stripe-Signature: t=<unix s>,v1=<hex>,v1=<hex>,v0=... . Every v1 is
// tried (secret rotation on Stripe's side), with every secret of
// auth.secret and auth.secrets (rotation on ours); the HMAC-SHA256 key is the secret string as-is
// (whsec_ included) over "{t}.{body}"; t must be within the tolerance
// (default 300s) of now.

func newStripeVerifier(src rules.Source, opts Options) (Verifier, error) {
	keys, err := provSecrets(src)
	if err != nil {
		return nil, err
	}
	tol, err := parseTolerance(src.Name, src.Auth.Tolerance, DefaultTolerance)
	if err != nil {
		return nil, err
	}
	return VerifierFunc(func(_ context.Context, req *Request) error {
		ts, sigs := stripeHeader(req.Header.Get("Stripe-Signature"))
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || len(sigs) == 0 {
			return Unauthorized()
		}
		if !withinTolerance(time.Unix(sec, 0), opts.now(), tol) {
			return Unauthorized()
		}
		ok := false
		for _, key := range keys {
			want := hmacSHA256(key, []byte(ts+"."), req.Body)
			for _, s := range sigs {
				if b, err := hex.DecodeString(s); err == nil && hmac.Equal(b, want) {
					ok = true // keep looping: constant work whichever entry matches
				}
			}
		}
		if !ok {
			return Unauthorized()
		}
		return nil
	}), nil
}

// stripeHeader splits the header into t and the v1 signatures.
func stripeHeader(h string) (ts string, v1 []string) {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = append(v1, v)
		}
	}
	return ts, v1
}
