package deskera

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// ErrNotFound matches (with errors.Is) an *APIError with status 404.
var ErrNotFound = errors.New("deskera: not found")

// ErrOutcomeUnknown matches (with errors.Is) the error of a non-idempotent
// request (a create) that failed after it may have reached Deskera: it may or
// may not have been applied, so it is not retried automatically. Look the
// record up before trying again.
var ErrOutcomeUnknown = errors.New("deskera: outcome unknown, the request may have been applied")

// maxExcerpt bounds the body excerpt kept in an *APIError.
const maxExcerpt = 512

// APIError is a non-2xx answer from Deskera.
type APIError struct {
	Op         string // operation name, e.g. "contacts.get"
	StatusCode int
	Method     string
	Path       string // request path without the query string
	Message    string // message extracted from the body, if any
	Body       string // bounded excerpt of the body
}

func (e *APIError) Error() string {
	if e == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("deskera: %s: %s %s: %d %s", e.Op, e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is ErrNotFound and the status is 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e != nil && e.StatusCode == http.StatusNotFound
}

// RateLimitError is a 429 answer. RetryAfter is the server's Retry-After
// (0 when absent). errors.As also finds the underlying *APIError.
type RateLimitError struct {
	RetryAfter time.Duration
	Err        *APIError
}

func (e *RateLimitError) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%v (retry after %s)", e.Err, e.RetryAfter)
	}
	return e.Err.Error()
}

// Unwrap returns the underlying *APIError.
func (e *RateLimitError) Unwrap() error { return e.Err }

// transportError is a request that got no HTTP answer. The URL (which may
// carry a refresh token) is never part of it.
type transportError struct {
	op, method, path string
	err              error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("deskera: %s: %s %s: %v", e.op, e.method, e.path, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

// outcomeUnknownError wraps the failure of a create that may have been applied.
type outcomeUnknownError struct {
	op  string
	err error
}

func (e *outcomeUnknownError) Error() string {
	return fmt.Sprintf("deskera: %s: outcome unknown, the request may have been applied: %v", e.op, e.err)
}

func (e *outcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }

// Temporary reports whether err is worth retrying later: a 429 (retryAfter
// is its Retry-After), a 5xx, a transport failure or timeout, or an
// ErrOutcomeUnknown. Cancellation by the caller is not temporary.
func Temporary(err error) (retryAfter time.Duration, ok bool) {
	var rl *RateLimitError
	var api *APIError
	var te *transportError
	var ne net.Error
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		return 0, false
	case errors.As(err, &rl):
		return rl.RetryAfter, true
	case errors.Is(err, ErrOutcomeUnknown), errors.Is(err, context.DeadlineExceeded):
		return 0, true
	case errors.As(err, &api):
		return 0, api.StatusCode == http.StatusTooManyRequests || api.StatusCode >= 500
	case errors.As(err, &te), errors.As(err, &ne) && ne.Timeout():
		return 0, true
	}
	return 0, false
}

// excerpt bounds body to maxExcerpt bytes and removes secret values.
func excerpt(body []byte, secrets ...string) string {
	s := redact(string(body), secrets...)
	if len(s) > maxExcerpt {
		s = strings.ToValidUTF8(s[:maxExcerpt], "") + "…"
	}
	return s
}

func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}
