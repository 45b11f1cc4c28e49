package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// DefaultTolerance is how far a signed timestamp may be from now, either
// way, unless the source sets auth.tolerance.
const DefaultTolerance = 5 * time.Minute

// standardWebhooksVerifier implements Standard Webhooks v1 (also sent by
// Svix with svix-* header names): HMAC-SHA256 over "{id}.{ts}.{body}",
// keyed with base64-decode(secret minus "whsec_"), "v1,<base64>" values
// in a space-separated list. auth.secret may hold several secrets
// (separated by spaces or commas) while a secret is being rotated.
type standardWebhooksVerifier struct {
	keys [][]byte
	tol  time.Duration
	now  func() time.Time
}

func newStandardWebhooksVerifier(src rules.Source, opts Options) (Verifier, error) {
	fields := strings.FieldsFunc(src.Auth.Secret.Reveal(), func(r rune) bool {
		return r == ' ' || r == ',' || r == '\n' || r == '\t'
	})
	for _, s := range src.Auth.Secrets {
		fields = append(fields, s.Reveal())
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("source %q: standard-webhooks needs auth.secret", src.Name)
	}
	v := &standardWebhooksVerifier{now: opts.now}
	for i, f := range fields {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f, "whsec_"))
		if err != nil || len(key) == 0 {
			// Never echo the secret, only its position.
			return nil, fmt.Errorf("source %q: standard-webhooks secret #%d is not whsec_<base64>", src.Name, i+1)
		}
		v.keys = append(v.keys, key)
	}
	tol, err := parseTolerance(src.Name, src.Auth.Tolerance, DefaultTolerance)
	if err != nil {
		return nil, err
	}
	v.tol = tol
	return v, nil
}

// header returns the webhook-* header, or its svix-* twin.
func swHeader(req *Request, name string) string {
	if v := req.Header.Get("Webhook-" + name); v != "" {
		return v
	}
	return req.Header.Get("Svix-" + name)
}

// Verify checks id, timestamp and signature list.
func (v *standardWebhooksVerifier) Verify(ctx context.Context, req *Request) error {
	id, tsText, sigs := swHeader(req, "Id"), swHeader(req, "Timestamp"), swHeader(req, "Signature")
	if id == "" || tsText == "" || sigs == "" {
		return Unauthorized()
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || !withinTolerance(time.Unix(ts, 0), v.now(), v.tol) {
		return Unauthorized()
	}
	for _, key := range v.keys {
		want := hmacSHA256(key, []byte(id), []byte{'.'}, []byte(tsText), []byte{'.'}, req.Body)
		if anyV1Matches(sigs, want) {
			return nil
		}
	}
	return Unauthorized()
}

// anyV1Matches reports whether one "v1,<base64>" entry equals want;
// other versions (v1a = ed25519) and malformed entries are skipped.
func anyV1Matches(list string, want []byte) bool {
	ok := false
	for _, entry := range strings.Fields(list) {
		version, value, found := strings.Cut(entry, ",")
		if !found || version != "v1" {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		if hmac.Equal(sig, want) {
			ok = true // keep looping: time does not depend on the position
		}
	}
	return ok
}
