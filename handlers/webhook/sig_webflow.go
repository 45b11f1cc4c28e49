package webhook

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

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
