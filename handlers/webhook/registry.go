package webhook

import (
	"fmt"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Options carries what verifiers and parsers need from the environment.
type Options struct {
	// Now returns the current time; timestamped signatures are checked
	// against it. Defaults to time.Now.
	Now func() time.Time
	// HTTPClient fetches SNS signing certificates. Defaults to a client
	// with a short timeout.
	HTTPClient *http.Client
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// NewParser returns the parser for src.Format.
func NewParser(src rules.Source, opts Options) (Parser, error) {
	switch src.Format {
	// Each case is one format; the parser lives in a file named after it.
	default:
		return nil, fmt.Errorf("source %q: unknown format %q", src.Name, src.Format)
	}
}

// NewVerifier returns the verifier for src.Auth, combined with the
// source's IP allow-list when it has one.
func NewVerifier(src rules.Source, opts Options) (Verifier, error) {
	var v Verifier
	switch src.Auth.Type {
	// Each case is one scheme; the verifier lives in a file named after it.
	default:
		return nil, fmt.Errorf("source %q: unknown auth type %q", src.Name, src.Auth.Type)
	}
	return v, nil
}
