// Package hookspec lists, as plain data, the inbound formats and the
// authentication schemes leadhook knows. The rules loader validates a
// source against it (format names, default delivery, which auth keys
// apply) and handlers/webhook builds a parser and a verifier for each
// entry. It imports nothing, so both can use it while rules never imports
// handlers.
//
// Adding a format or a scheme: one entry here, and its constructor in
// handlers/webhook/registry.go (whose test fails while the two differ).
package hookspec

// Format is one inbound format (rules Source.Format).
type Format struct {
	Name string
	// Queued: sources of this format are accepted durably (202) and acted
	// on by a worker unless they set a delivery: browser forms and inbound
	// mail (a browser never retries, mail providers give up after a few
	// tries). Webhooks whose senders retry for hours and want the result
	// in the answer are sync.
	Queued bool
	// JSONBody: the body is JSON whatever its Content-Type, and the
	// parser does not check UTF-8 itself, so a body that is not UTF-8 is
	// refused (400) before parsing.
	JSONBody bool
}

// Auth is one authentication scheme (rules Auth.Type) and the auth keys
// it requires and accepts besides "type".
type Auth struct {
	Name     string
	Required []string
	Optional []string
}

var formats = []Format{
	// generic: a JSON object, an urlencoded or multipart HTML form
	{Name: "json"}, {Name: "form", Queued: true},
	// form providers
	{Name: "typeform", JSONBody: true}, {Name: "webflow", JSONBody: true}, {Name: "tally", JSONBody: true}, {Name: "jotform"},
	// inbound email (ses = SES via SNS over HTTP)
	{Name: "mailgun", Queued: true}, {Name: "sendgrid", Queued: true}, {Name: "postmark", Queued: true, JSONBody: true}, {Name: "ses", Queued: true},
	// envelopes
	{Name: "cloudevents"}, {Name: "deskera", JSONBody: true},
}

var (
	secretOnly  = []string{"secret"}
	rotating    = []string{"secrets"}
	rotatingTol = []string{"secrets", "tolerance"}
)

var auths = []Auth{
	{Name: "none"},
	{Name: "hmac-sha256", Required: secretOnly, Optional: []string{"secrets", "header", "encoding", "prefix", "tolerance", "timestamp_header"}},
	{Name: "standard-webhooks", Required: secretOnly, Optional: rotatingTol},
	{Name: "token", Required: []string{"token"}, Optional: []string{"header", "prefix"}},
	{Name: "basic", Required: []string{"username", "password"}},
	{Name: "typeform", Required: secretOnly, Optional: rotating},
	{Name: "webflow", Required: secretOnly, Optional: rotating},
	{Name: "tally", Required: secretOnly, Optional: rotating},
	{Name: "stripe", Required: secretOnly, Optional: rotatingTol},
	{Name: "github", Required: secretOnly, Optional: rotating},
	{Name: "mailgun", Required: secretOnly, Optional: rotatingTol},
	{Name: "sns", Optional: []string{"topic_arns", "tolerance"}},
}

// FormatNames returns the format names, in documentation order.
func FormatNames() []string { return names(formats, func(f Format) string { return f.Name }) }

// AuthNames returns the scheme names, in documentation order.
func AuthNames() []string { return names(auths, func(a Auth) string { return a.Name }) }

// LookupFormat returns the format called name.
func LookupFormat(name string) (Format, bool) {
	return lookup(formats, name, func(f Format) string { return f.Name })
}

// LookupAuth returns the scheme called name.
func LookupAuth(name string) (Auth, bool) {
	return lookup(auths, name, func(a Auth) string { return a.Name })
}

func names[T any](list []T, name func(T) string) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = name(e)
	}
	return out
}

func lookup[T any](list []T, want string, name func(T) string) (T, bool) {
	for _, e := range list {
		if name(e) == want {
			return e, true
		}
	}
	var zero T
	return zero, false
}
