package webhook

import (
	"testing"

	"github.com/leadhook/leadhook/hookspec"
	"github.com/leadhook/leadhook/rules"
)

// TestRegistryMatchesHookspec: the registry builds exactly the formats and
// auth types of the hookspec table (which the rules loader validates
// against): none missing, none extra.
func TestRegistryMatchesHookspec(t *testing.T) {
	for name := range parsers {
		if _, ok := hookspec.LookupFormat(name); !ok {
			t.Errorf("parser %q is not in hookspec: the rules loader would refuse it", name)
		}
	}
	for name := range verifiers {
		if _, ok := hookspec.LookupAuth(name); !ok {
			t.Errorf("verifier %q is not in hookspec: the rules loader would refuse it", name)
		}
	}
	if len(parsers) != len(hookspec.FormatNames()) || len(verifiers) != len(hookspec.AuthNames()) {
		t.Errorf("%d parsers and %d verifiers for %d formats and %d auth types", len(parsers), len(verifiers),
			len(hookspec.FormatNames()), len(hookspec.AuthNames()))
	}
}

// Every format and auth type the rules package accepts has a parser and a
// verifier here (with the minimal configuration each needs).
func TestRegistryCoversRulesNames(t *testing.T) {
	for _, f := range rules.Formats() {
		t.Run("format/"+f, func(t *testing.T) {
			if _, err := NewParser(rules.Source{Name: "s", Format: f}, Options{}); err != nil {
				t.Errorf("NewParser(%q): %v", f, err)
			}
		})
	}
	minimal := map[string]rules.Auth{
		"hmac-sha256":       {Header: "X-Signature", Secret: "s"},
		"standard-webhooks": {Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		"token":             {Token: "t"},
		"basic":             {Username: "u", Password: "p"},
		"sns":               {TopicARNs: []string{snsTestTopic}},
	}
	for _, a := range rules.AuthTypes() {
		t.Run("auth/"+a, func(t *testing.T) {
			auth, ok := minimal[a]
			if !ok && a != "none" {
				auth.Secret = "s"
			}
			auth.Type = a
			if _, err := NewVerifier(rules.Source{Name: "s", Auth: auth}, Options{}); err != nil {
				t.Errorf("NewVerifier(%q): %v", a, err)
			}
		})
	}
}
