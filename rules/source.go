package rules

import (
	"log/slog"

	"github.com/leadhook/leadhook/hookspec"
)

// Source is one inbound endpoint, POST /hooks/{name}, declared in the
// rules file under `sources`. The rules package validates it; the
// handlers package builds the parser and verifier from it.
type Source struct {
	Name string `yaml:"-" json:"name"`
	// Format names the parser: see Formats.
	Format string `yaml:"format" json:"format"`
	// Auth says how a request proves it came from the sender.
	Auth Auth `yaml:"auth" json:"auth"`
	// AllowIPs, when set, restricts senders to these CIDRs (in addition to Auth).
	AllowIPs []string `yaml:"allow_ips,omitempty" json:"allow_ips,omitempty"`
	// IDField names the payload field whose value is the delivery id, when
	// neither the format nor a header provides one.
	IDField string `yaml:"id_field,omitempty" json:"id_field,omitempty"`
	// Browser, when set, takes posts straight from visitors' browsers
	// (formats form and json): see Browser.
	Browser *Browser `yaml:"browser,omitempty" json:"browser,omitempty"`
	// Delivery is when the sender is answered: DeliverySync (act, then
	// answer) or DeliveryQueued (store durably, answer 202, act in a
	// worker). The loader fills in DefaultDelivery(Format) when unset.
	Delivery string `yaml:"delivery,omitempty" json:"delivery"`
	// Line is the line of the source in the rules file, for messages.
	Line int `yaml:"-" json:"-"`
}

// Auth configures request authentication for a Source. Which keys apply
// depends on Type; secrets come from ${VAR} interpolation.
type Auth struct {
	// Type: see AuthTypes.
	Type string `yaml:"type" json:"type"`
	// Header carrying the signature or token (hmac-sha256, token).
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	// Secret is the signing secret or signing key.
	Secret Secret `yaml:"secret,omitempty" json:"-"`
	// Secrets are further signing secrets accepted beside Secret (a list,
	// for rotation: a request signed with any of them passes). Every
	// HMAC-style scheme accepts them.
	Secrets []Secret `yaml:"secrets,omitempty" json:"-"`
	// TimestampHeader, when set (hmac-sha256), names a header carrying
	// the Unix-seconds timestamp; the signature is then over
	// "{timestamp}.{body}" and the timestamp must be within Tolerance.
	TimestampHeader string `yaml:"timestamp_header,omitempty" json:"timestamp_header,omitempty"`
	// Encoding of the signature: "hex" (default) or "base64" (hmac-sha256).
	Encoding string `yaml:"encoding,omitempty" json:"encoding,omitempty"`
	// Prefix before the signature value, e.g. "sha256=" (hmac-sha256).
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// Token is the shared token (token: Authorization: Bearer or Header).
	Token Secret `yaml:"token,omitempty" json:"-"`
	// Username and Password for HTTP Basic (basic, postmark).
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	Password Secret `yaml:"password,omitempty" json:"-"`
	// Tolerance for timestamped schemes, e.g. "5m" (default 5m).
	Tolerance string `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// TopicARNs allowed for SNS deliveries (sns).
	TopicARNs []string `yaml:"topic_arns,omitempty" json:"topic_arns,omitempty"`
}

// SigningSecrets returns Secret followed by Secrets, without empty ones.
func (a Auth) SigningSecrets() []Secret {
	var out []Secret
	for _, s := range append([]Secret{a.Secret}, a.Secrets...) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Secret is a string that never prints: String, GoString, LogValue and
// MarshalJSON all redact it. Use Reveal to get the value.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON redacts the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Formats returns the known inbound formats (Source.Format): the names of
// the hookspec table, which handlers/webhook builds parsers from.
func Formats() []string { return hookspec.FormatNames() }

// Acceptance modes (Source.Delivery).
const (
	DeliverySync   = "sync"
	DeliveryQueued = "queued"
)

// Deliveries returns the acceptance modes (Source.Delivery).
func Deliveries() []string { return []string{DeliverySync, DeliveryQueued} }

// DefaultDelivery is a format's acceptance mode when the source sets
// none: browser forms and inbound email are queued (a browser never
// retries, and mail providers give up after a few tries); webhooks whose
// senders retry for hours and want the result in the answer are sync
// (hookspec.Format.Queued).
func DefaultDelivery(format string) string {
	if f, ok := hookspec.LookupFormat(format); ok && f.Queued {
		return DeliveryQueued
	}
	return DeliverySync
}

// AuthTypes returns the known authentication schemes (Auth.Type): the
// names of the hookspec table, which handlers/webhook builds verifiers from.
func AuthTypes() []string { return hookspec.AuthNames() }
