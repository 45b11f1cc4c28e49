package webhook

import (
	"crypto/hmac"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Mailgun: the form fields timestamp, token and signature, where signature
// = hex HMAC-SHA256(webhook signing key, timestamp + token). The timestamp
// (Unix seconds) must be within the tolerance (default 5 minutes) of now.
// Works for urlencoded and multipart bodies.
//
// A replayed token is not refused here: Mailgun may resend a delivery that
// failed (a 503 from us) with the same signature fields, and refusing it
// would lose the mail. Replays never act twice all the same: the mailgun
// parser's delivery id (Message-Id, else the token) goes through the
// idempotency store, which answers a replay with the first answer.

type mailgunVerifier struct {
	key    []byte
	tol    time.Duration
	maxMem int64
	now    func() time.Time
}

func newMailgunVerifier(src rules.Source, opts Options) (Verifier, error) {
	key, err := provSecret(src)
	if err != nil {
		return nil, err
	}
	tol, err := parseTolerance(src.Name, src.Auth.Tolerance, DefaultTolerance)
	if err != nil {
		return nil, err
	}
	return &mailgunVerifier{key: key, tol: tol, maxMem: opts.maxMemory(), now: opts.now}, nil
}

// Verify implements Verifier.
func (v *mailgunVerifier) Verify(req *Request) error {
	form, err := provParseForm(req, v.maxMem)
	if err != nil {
		return Unauthorized()
	}
	ts, token := form.Values.Get("timestamp"), form.Values.Get("token")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || token == "" {
		return Unauthorized()
	}
	if !withinTolerance(time.Unix(sec, 0), v.now(), v.tol) {
		return Unauthorized()
	}
	sig, err := hex.DecodeString(form.Values.Get("signature"))
	if err != nil || !hmac.Equal(sig, hmacSHA256(v.key, []byte(ts), []byte(token))) {
		return Unauthorized()
	}
	return nil
}
