package webhook

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// DefaultMaxMemory is how much of a multipart form is held in memory
// when Options.MaxMemory is zero; file parts beyond it are discarded
// rather than spooled, since files are only counted.
const DefaultMaxMemory = 1 << 20

// Options carries what verifiers and parsers need from the environment.
type Options struct {
	// Now returns the current time; timestamped signatures are checked
	// against it. Defaults to time.Now.
	Now func() time.Time
	// HTTPClient fetches SNS signing certificates. Defaults to a client
	// with a short timeout.
	HTTPClient *http.Client
	// MaxMemory caps the memory a multipart form may use (parts and
	// values). Defaults to DefaultMaxMemory.
	MaxMemory int64
	// Seen remembers one-time values (Mailgun tokens) so each is accepted
	// once within its window. Share it between replicas (the idempotency
	// store: idempotency.Memory and idempotency.Redis implement it).
	// Defaults to a small in-process store per verifier.
	Seen SeenOnce
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) maxMemory() int64 {
	if o.MaxMemory > 0 {
		return o.MaxMemory
	}
	return DefaultMaxMemory
}

// NewParser returns the parser for src.Format. Formats whose body is
// always JSON refuse a body that is not UTF-8 (400) before parsing.
func NewParser(src rules.Source, opts Options) (Parser, error) {
	p, err := newParser(src, opts)
	if err != nil || !jsonBodyFormat(src.Format) {
		return p, err
	}
	return ParserFunc(func(ctx context.Context, req *Request) (*Parsed, error) {
		if err := CheckUTF8(req.Body); err != nil {
			return nil, err
		}
		return p.Parse(ctx, req)
	}), nil
}

// jsonBodyFormat reports the formats whose body is JSON whatever its
// Content-Type and whose parser does not check UTF-8 itself (json checks
// after its media type, cloudevents in its JSON modes; the SNS envelope of ses is UTF-8 JSON by
// AWS's spec).
func jsonBodyFormat(format string) bool {
	switch format {
	case "typeform", "webflow", "tally", "postmark", "deskera":
		return true
	}
	return false
}

func newParser(src rules.Source, opts Options) (Parser, error) {
	switch src.Format {
	// Each case is one format; the parser lives in a file named after it.
	case "json":
		return newJSONParser(src, opts), nil
	case "form":
		return newFormParser(src, opts), nil
	case "typeform":
		return newTypeformParser(src, opts)
	case "webflow":
		return newWebflowParser(src, opts)
	case "tally":
		return newTallyParser(src, opts)
	case "jotform":
		return newJotformParser(src, opts)
	case "mailgun":
		return newMailgunParser(src, opts)
	case "sendgrid":
		return newSendgridParser(src, opts)
	case "postmark":
		return newPostmarkParser(src, opts)
	case "ses":
		return newSESParser(src, opts)
	case "cloudevents":
		return newCloudEventsParser(src, opts)
	case "deskera":
		return newDeskeraParser(src, opts)
	default:
		return nil, fmt.Errorf("source %q: unknown format %q", src.Name, src.Format)
	}
}

// NewVerifier returns the verifier for src.Auth, combined with the
// source's IP allow-list when it has one.
func NewVerifier(src rules.Source, opts Options) (Verifier, error) {
	var v Verifier
	var err error
	switch src.Auth.Type {
	// Each case is one scheme; the verifier lives in a file named after it.
	case "none":
		v = newNoneVerifier()
	case "hmac-sha256":
		v, err = newHMACVerifier(src, opts)
	case "standard-webhooks":
		v, err = newStandardWebhooksVerifier(src, opts)
	case "token":
		v, err = newTokenVerifier(src)
	case "basic":
		v, err = newBasicVerifier(src)
	case "typeform":
		v, err = newTypeformVerifier(src, opts)
	case "webflow":
		v, err = newWebflowVerifier(src, opts)
	case "tally":
		v, err = newTallyVerifier(src, opts)
	case "stripe":
		v, err = newStripeVerifier(src, opts)
	case "github":
		v, err = newGitHubVerifier(src, opts)
	case "mailgun":
		v, err = newMailgunVerifier(src, opts)
	case "sns":
		v, err = newSNSVerifier(src, opts)
	default:
		return nil, fmt.Errorf("source %q: unknown auth type %q", src.Name, src.Auth.Type)
	}
	if err != nil {
		return nil, err
	}
	return withAllowList(src, v)
}
