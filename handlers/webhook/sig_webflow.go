package webhook

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Webflow: x-webflow-signature = hex HMAC-SHA256(client secret,
// "{x-webflow-timestamp}:{body}"), the timestamp in Unix milliseconds and
// within the tolerance (default 5 minutes) of now.

func newWebflowVerifier(src rules.Source, opts Options) (Verifier, error) {
	keys, err := provSecrets(src)
	if err != nil {
		return nil, err
	}
	tol, err := parseTolerance(src.Name, src.Auth.Tolerance, DefaultTolerance)
	if err != nil {
		return nil, err
	}
	return VerifierFunc(func(_ context.Context, req *Request) error {
		ts := strings.TrimSpace(req.Header.Get("X-Webflow-Timestamp"))
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return Unauthorized()
		}
		if !withinTolerance(time.UnixMilli(ms), opts.now(), tol) {
			return Unauthorized()
		}
		sig, err := hex.DecodeString(strings.TrimSpace(req.Header.Get("X-Webflow-Signature")))
		if err != nil || len(sig) == 0 || !anyKeyMatches(keys, sig, []byte(ts+":"), req.Body) {
			return Unauthorized()
		}
		return nil
	}), nil
}
