package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Helpers shared by the provider parsers and vendor verifiers.

// provSecret returns the source's signing secret, or an error naming the
// source when it is empty.
func provSecret(src rules.Source) ([]byte, error) {
	s := src.Auth.Secret.Reveal()
	if s == "" {
		return nil, fmt.Errorf("source %q: auth %q needs a secret", src.Name, src.Auth.Type)
	}
	return []byte(s), nil
}

// provSecrets returns every signing secret of the source (auth.secret,
// then auth.secrets: several while a secret is being rotated), or an
// error naming the source when there is none.
func provSecrets(src rules.Source) ([][]byte, error) {
	var keys [][]byte
	for _, s := range src.Auth.SigningSecrets() {
		keys = append(keys, []byte(s.Reveal()))
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("source %q: auth %q needs a secret", src.Name, src.Auth.Type)
	}
	return keys, nil
}

// anyKeyMatches reports whether sig equals the HMAC-SHA256 of parts under
// one of keys; every key is tried, so the time does not say which one.
func anyKeyMatches(keys [][]byte, sig []byte, parts ...[]byte) bool {
	ok := false
	for _, k := range keys {
		if hmac.Equal(sig, hmacSHA256(k, parts...)) {
			ok = true
		}
	}
	return ok
}

// provEmail normalises an email address: the bare address, lowercased;
// "" when s does not look like one.
func provEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	s = strings.ToLower(strings.Trim(s, "<> "))
	if !strings.Contains(s, "@") || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

// provSplitAddress splits `Bob <bob@example.com>` into the lowercased
// address and the display name.
func provSplitAddress(s string) (addr, name string) {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return strings.ToLower(a.Address), a.Name
	}
	if i := strings.LastIndex(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		return provEmail(s[i+1 : len(s)-1]), strings.Trim(strings.TrimSpace(s[:i]), `"`)
	}
	return provEmail(s), ""
}

// provAddressList parses a comma-separated address header into lowercased
// addresses, tolerating malformed entries.
func provAddressList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(s); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
		return out
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if a, _ := provSplitAddress(p); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// MaxDeliveryID is the longest delivery id kept as it is, wherever the id
// comes from (a header, the format's own id, id_field). A longer id is
// replaced by DeliveryID's hash: the delivery is still told apart from
// every other one and the idempotency store never refuses it. This is the
// one limit and the one policy for every transport and format.
const MaxDeliveryID = 256

// DeliveryID returns id, or "sha256:<hex>" of it when it is longer than
// MaxDeliveryID.
func DeliveryID(id string) string {
	if len(id) <= MaxDeliveryID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// provFirstNonEmpty returns the first non-empty string.
func provFirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// provIsJSON reports whether the content type is JSON-ish (or absent).
func provIsJSON(ct string) bool {
	return ct == "" || ct == "application/json" || ct == "text/plain" || strings.HasSuffix(ct, "+json")
}
