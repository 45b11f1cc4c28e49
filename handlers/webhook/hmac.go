package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// hmacVerifier checks an HMAC-SHA256 of the raw body carried in a header,
// hex (default) or base64 encoded, optionally after a prefix such as
// "sha256=" (GitHub style).
type hmacVerifier struct {
	header string
	secret []byte
	prefix string
	decode func(string) ([]byte, error)
}

func newHMACVerifier(src rules.Source) (Verifier, error) {
	a := src.Auth
	if a.Secret == "" {
		return nil, fmt.Errorf("source %q: hmac-sha256 needs auth.secret", src.Name)
	}
	v := &hmacVerifier{
		header: http.CanonicalHeaderKey(a.Header),
		secret: []byte(a.Secret.Reveal()),
		prefix: a.Prefix,
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
func (v *hmacVerifier) Verify(req *Request) error {
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
	if err != nil {
		return Unauthorized()
	}
	if !hmac.Equal(sig, hmacSHA256(v.secret, req.Body)) {
		return Unauthorized()
	}
	return nil
}
