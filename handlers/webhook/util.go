package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	if mt, ok := simpleMediaType(ct); ok {
		return mt
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	return mt
}

// simpleMediaType is the media type of a lowercase type/subtype with only
// an optional "; charset=..." style tail, without mime's parameter map.
func simpleMediaType(ct string) (string, bool) {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	slash := strings.IndexByte(mt, '/')
	if slash <= 0 || slash == len(mt)-1 {
		return "", false
	}
	for i := 0; i < len(mt); i++ {
		c := mt[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' && i == slash || c == '-' || c == '+' || c == '.') {
			return "", false
		}
	}
	return mt, true
}

// mediaParam returns a parameter of a Content-Type ("" when absent).
func mediaParam(ct, name string) string {
	if ct == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return params[name]
}

// Unauthorized is the one error every verifier returns on failure. Its
// message says only that authentication failed, never what was expected,
// what was received or which part did not match.
func Unauthorized() *Error {
	return &Error{Status: http.StatusUnauthorized, Message: "authentication failed"}
}

// BadRequest is a 400 naming the field (may be empty) and the problem.
func BadRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// UnsupportedMediaType is a 415 naming the received and accepted types.
func UnsupportedMediaType(got string, want ...string) *Error {
	if got == "" {
		got = "none"
	}
	return &Error{
		Status:  http.StatusUnsupportedMediaType,
		Field:   "Content-Type",
		Message: fmt.Sprintf("content type %q is not accepted; send %s", got, strings.Join(want, " or ")),
	}
}

// secureEqual compares two strings in constant time (for equal lengths;
// the length itself is not secret).
func secureEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// hmacSHA256 returns HMAC-SHA256(key, parts...).
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// parseTolerance reads an Auth.Tolerance value ("" = def).
func parseTolerance(name, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("source %q: auth tolerance %q is not a positive duration", name, s)
	}
	return d, nil
}

// withinTolerance reports whether ts lies within tol of now, both ways.
func withinTolerance(ts, now time.Time, tol time.Duration) bool {
	d := now.Sub(ts)
	return d <= tol && d >= -tol
}
