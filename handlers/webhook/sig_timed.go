package webhook

import (
	"context"
	"time"

	"github.com/leadhook/leadhook/rules"
)

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
