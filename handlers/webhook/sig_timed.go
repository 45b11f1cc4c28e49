package webhook

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// The timestamped HMAC-SHA256 schemes: stripe and webflow here, mailgun
// (which adds a seen-once token) in sig_mailgun.go.

// timedHMAC is what the timestamped HMAC-SHA256 schemes share (stripe,
// webflow, mailgun): the signing secrets (auth.secret and auth.secrets;
// any may sign, for rotation), the tolerance (auth.tolerance, default
// DefaultTolerance) and the clock.
type timedHMAC struct {
	keys [][]byte
	tol  time.Duration
	now  func() time.Time
}

func newTimedHMAC(src rules.Source, opts Options) (timedHMAC, error) {
	keys, err := provSecrets(src)
	if err != nil {
		return timedHMAC{}, err
	}
	tol, err := parseTolerance(src.Name, src.Auth.Tolerance, DefaultTolerance)
	if err != nil {
		return timedHMAC{}, err
	}
	return timedHMAC{keys: keys, tol: tol, now: opts.now}, nil
}

// newTimedVerifier is the verifier of a timedHMAC scheme: valid reads the
// scheme's timestamp and signatures from req and asks h.
func newTimedVerifier(src rules.Source, opts Options, valid func(h timedHMAC, req *Request) bool) (Verifier, error) {
	h, err := newTimedHMAC(src, opts)
	if err != nil {
		return nil, err
	}
	return VerifierFunc(func(_ context.Context, req *Request) error {
		if !valid(h, req) {
			return Unauthorized()
		}
		return nil
	}), nil
}

// valid reports whether ts is within the tolerance of now and one of sigs
// is the HMAC-SHA256 of parts under one of the keys. Every pair is tried,
// so the time taken does not say which matched.
func (h timedHMAC) valid(ts time.Time, sigs [][]byte, parts ...[]byte) bool {
	if !withinTolerance(ts, h.now(), h.tol) {
		return false
	}
	ok := false
	for _, s := range sigs {
		if len(s) > 0 && anyKeyMatches(h.keys, s, parts...) {
			ok = true
		}
	}
	return ok
}

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

// Webflow: x-webflow-signature = hex HMAC-SHA256(client secret,
// "{x-webflow-timestamp}:{body}"), the timestamp in Unix milliseconds and
// within the tolerance of now (timedHMAC).
func newWebflowVerifier(src rules.Source, opts Options) (Verifier, error) {
	return newTimedVerifier(src, opts, func(h timedHMAC, req *Request) bool {
		ts := strings.TrimSpace(req.Header.Get("X-Webflow-Timestamp"))
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return false
		}
		sig, err := hex.DecodeString(strings.TrimSpace(req.Header.Get("X-Webflow-Signature")))
		return err == nil && h.valid(time.UnixMilli(ms), [][]byte{sig}, []byte(ts+":"), req.Body)
	})
}
