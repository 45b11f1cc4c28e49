package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Mailgun: the form fields timestamp, token and signature, where signature
// = hex HMAC-SHA256(webhook signing key, timestamp + token). The timestamp
// (Unix seconds) must be within the tolerance (default 5 minutes) of now.
// Works for urlencoded and multipart bodies. Any of auth.secret and
// auth.secrets may be the key (rotation).
//
// The signature covers only timestamp and token, not the mail: a captured
// triple would sign any mail for the whole window. So a token is accepted
// once within the window: Options.Seen (the shared idempotency store)
// remembers each token with a hash of the form it came with. The same
// token with the same form again is Mailgun retrying a delivery we did
// not finish (a 503): it passes, and the delivery id (Message-Id, else
// the token) makes the idempotency store answer it with the first answer
// when there was one. The same token with any other form is refused (401).

type mailgunVerifier struct {
	name   string
	hmac   timedHMAC
	maxMem int64
	seen   SeenOnce
}

// mailgunSeenTimeout bounds the seen-once store lookup.
const mailgunSeenTimeout = 5 * time.Second

func newMailgunVerifier(src rules.Source, opts Options) (Verifier, error) {
	h, err := newTimedHMAC(src, opts)
	if err != nil {
		return nil, err
	}
	seen := opts.Seen
	if seen == nil {
		seen = newLocalSeen(opts.now)
	}
	return &mailgunVerifier{name: src.Name, hmac: h, maxMem: opts.maxMemory(), seen: seen}, nil
}

// Verify implements Verifier; the seen-once store is asked under ctx
// (the request's), bounded by mailgunSeenTimeout.
func (v *mailgunVerifier) Verify(ctx context.Context, req *Request) error {
	ctx, cancel := context.WithTimeout(ctx, mailgunSeenTimeout)
	defer cancel()
	form, err := readForm(req, v.maxMem)
	if err != nil {
		return Unauthorized()
	}
	ts, token := form.values.Get("timestamp"), form.values.Get("token")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || token == "" {
		return Unauthorized()
	}
	sig, err := hex.DecodeString(form.values.Get("signature"))
	if err != nil || !v.hmac.valid(time.Unix(sec, 0), [][]byte{sig}, []byte(ts), []byte(token)) {
		return Unauthorized()
	}
	// The token may be presented until its timestamp leaves the window,
	// at most 2*tol from first sight; remember it a little longer.
	sum := sha256.Sum256([]byte(form.values.Encode() + "\nfiles=" + strconv.Itoa(form.files)))
	first, err := v.seen.FirstUse(ctx, "mailgun-token\n"+v.name+"\n"+token, hex.EncodeToString(sum[:]), 2*v.hmac.tol+time.Minute)
	if err != nil {
		return &Error{Status: http.StatusServiceUnavailable, Message: "the token store is unavailable; retry later"}
	}
	if !first {
		return Unauthorized()
	}
	return nil
}
