package webhook

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// hmacVerifier checks an HMAC-SHA256 of the raw body carried in a header,
// hex (default) or base64 encoded, optionally after a prefix such as
// "sha256=" (GitHub style). Any of the source's secrets (auth.secret and
// auth.secrets, for rotation) may have signed it.
//
// Without a timestamp a captured request verifies forever (the delivery
// id, a hash of the body, only stops a replay while it is remembered).
// With auth.timestamp_header set, the header carries Unix seconds, the
// signature is over "{timestamp}.{body}" and the timestamp must be within
// auth.tolerance (default 5m) of now: for senders we control.
type hmacVerifier struct {
	header   string
	keys     [][]byte
	prefix   string
	decode   func(string) ([]byte, error)
	tsHeader string
	tol      time.Duration
	now      func() time.Time
}

func newHMACVerifier(src rules.Source, opts Options) (Verifier, error) {
	a := src.Auth
	keys, err := provSecrets(src)
	if err != nil {
		return nil, fmt.Errorf("source %q: hmac-sha256 needs auth.secret", src.Name)
	}
	v := &hmacVerifier{
		header: http.CanonicalHeaderKey(a.Header),
		keys:   keys,
		prefix: a.Prefix,
		now:    opts.now,
	}
	if a.TimestampHeader != "" {
		v.tsHeader = http.CanonicalHeaderKey(a.TimestampHeader)
		if v.tol, err = parseTolerance(src.Name, a.Tolerance, DefaultTolerance); err != nil {
			return nil, err
		}
	}
	if v.header == "" {
		v.header = "X-Signature"
	}
	switch strings.ToLower(a.Encoding) {
	case "", "hex":
		v.decode = hex.DecodeString
	case "base64":
		v.decode = decodeBase64
	default:
		return nil, fmt.Errorf("source %q: hmac-sha256 encoding %q is not hex or base64", src.Name, a.Encoding)
	}
	return v, nil
}

// decodeBase64 accepts standard and URL alphabets, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// Verify checks the signature header against the body.
func (v *hmacVerifier) Verify(ctx context.Context, req *Request) error {
	got := strings.TrimSpace(req.Header.Get(v.header))
	if got == "" {
		return Unauthorized()
	}
	if v.prefix != "" {
		if len(got) < len(v.prefix) || !strings.EqualFold(got[:len(v.prefix)], v.prefix) {
			return Unauthorized()
		}
		got = got[len(v.prefix):]
	}
	sig, err := v.decode(got)
	if err != nil || len(sig) == 0 {
		return Unauthorized()
	}
	if v.tsHeader == "" {
		if !anyKeyMatches(v.keys, sig, req.Body) {
			return Unauthorized()
		}
		return nil
	}
	ts := strings.TrimSpace(req.Header.Get(v.tsHeader))
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !withinTolerance(time.Unix(sec, 0), v.now(), v.tol) {
		return Unauthorized()
	}
	if !anyKeyMatches(v.keys, sig, []byte(ts), []byte{'.'}, req.Body) {
		return Unauthorized()
	}
	return nil
}
