package webhook

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/hookspec"
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

// parserFunc parses one delivery of a format for src.
type parserFunc func(src rules.Source, req *Request) (*Parsed, error)

// memParserFunc is a parserFunc of a form-encoded format, which needs
// the multipart memory limit.
type memParserFunc func(src rules.Source, req *Request, maxMemory int64) (*Parsed, error)

// parsers builds the parser of each format, by its hookspec name; each
// parser lives in a file named after its format.
var parsers = map[string]func(src rules.Source, opts Options) Parser{
	"json":        newJSONParser,
	"form":        newFormParser,
	"typeform":    stateless(parseTypeform),
	"webflow":     stateless(parseWebflow),
	"tally":       stateless(parseTally),
	"jotform":     withMemory(parseJotform),
	"mailgun":     withMemory(parseMailgun),
	"sendgrid":    withMemory(parseSendgrid),
	"postmark":    stateless(parsePostmark),
	"ses":         newSESParser,
	"cloudevents": stateless(parseCloudEvents),
	"deskera":     stateless(parseDeskera),
}

func stateless(parse parserFunc) func(rules.Source, Options) Parser {
	return func(src rules.Source, _ Options) Parser {
		return ParserFunc(func(_ context.Context, req *Request) (*Parsed, error) { return parse(src, req) })
	}
}

func withMemory(parse memParserFunc) func(rules.Source, Options) Parser {
	return func(src rules.Source, opts Options) Parser {
		maxMem := opts.maxMemory()
		return ParserFunc(func(_ context.Context, req *Request) (*Parsed, error) { return parse(src, req, maxMem) })
	}
}

// verifiers builds the verifier of each auth type, by its hookspec name:
// typeform, tally and github are HMAC presets (sig_presets.go), stripe and
// webflow timestamped HMACs (sig_timed.go), the others live in a file
// named after the scheme (sig_mailgun.go: a format has the same name).
var verifiers = map[string]func(src rules.Source, opts Options) (Verifier, error){
	"none":              func(rules.Source, Options) (Verifier, error) { return newNoneVerifier(), nil },
	"hmac-sha256":       newHMACVerifier,
	"standard-webhooks": newStandardWebhooksVerifier,
	"token":             func(src rules.Source, _ Options) (Verifier, error) { return newTokenVerifier(src) },
	"basic":             func(src rules.Source, _ Options) (Verifier, error) { return newBasicVerifier(src) },
	"typeform":          newTypeformVerifier,
	"webflow":           newWebflowVerifier,
	"tally":             newTallyVerifier,
	"stripe":            newStripeVerifier,
	"github":            newGitHubVerifier,
	"mailgun":           newMailgunVerifier,
	"sns":               newSNSVerifier,
}

// NewParser returns the parser for src.Format. Formats whose body is
// always JSON (hookspec.Format.JSONBody) refuse a body that is not UTF-8
// (400) before parsing.
func NewParser(src rules.Source, opts Options) (Parser, error) {
	spec, known := hookspec.LookupFormat(src.Format)
	build, built := parsers[src.Format]
	if !known || !built {
		return nil, fmt.Errorf("source %q: unknown format %q", src.Name, src.Format)
	}
	p := build(src, opts)
	if !spec.JSONBody {
		return p, nil
	}
	return ParserFunc(func(ctx context.Context, req *Request) (*Parsed, error) {
		if err := CheckUTF8(req.Body); err != nil {
			return nil, err
		}
		return p.Parse(ctx, req)
	}), nil
}

// NewVerifier returns the verifier for src.Auth, combined with the
// source's IP allow-list when it has one.
func NewVerifier(src rules.Source, opts Options) (Verifier, error) {
	_, known := hookspec.LookupAuth(src.Auth.Type)
	build, built := verifiers[src.Auth.Type]
	if !known || !built {
		return nil, fmt.Errorf("source %q: unknown auth type %q", src.Name, src.Auth.Type)
	}
	v, err := build(src, opts)
	if err != nil {
		return nil, err
	}
	return withAllowList(src, v)
}
