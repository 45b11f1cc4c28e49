package webhook

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

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
