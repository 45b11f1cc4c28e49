package handlers

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// redacted replaces a credential in panic messages and stacks.
const redacted = "[REDACTED]"

// minSecret is the shortest value redacted: shorter ones would mangle
// ordinary text and are not credentials worth the name.
const minSecret = 4

// sourceSecrets lists the credentials of every source of set.
func sourceSecrets(set *rules.Set) []string {
	var out []string
	for _, src := range set.Sources() {
		a := src.Auth
		out = append(out, a.Secret.Reveal(), a.Token.Reveal(), a.Password.Reveal())
		for _, sec := range a.Secrets {
			out = append(out, sec.Reveal())
		}
		if src.Browser != nil && src.Browser.Captcha != nil {
			out = append(out, src.Browser.Captcha.Secret.Reveal())
		}
	}
	return out
}

// Redact replaces every credential the service knows (source secrets,
// tokens and passwords, the admin token, Config.Secrets) in s. It is for
// text that may carry one by accident: panic values and stacks.
func (s *Service) Redact(text string) string {
	secrets := slices.Clone(s.secrets)
	if st := s.state.Load(); st != nil {
		secrets = append(secrets, st.secrets...)
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) }) // longest first
	for _, sec := range secrets {
		if len(sec) >= minSecret {
			text = strings.ReplaceAll(text, sec, redacted)
		}
	}
	return text
}

// recoverPanic turns a panic in Handle into a 500 answer, logged with
// credentials redacted (the Lambda runtime would otherwise report the raw
// panic value).
func (s *Service) recoverPanic(ctx context.Context, source string, resp *Response) {
	v := recover()
	if v == nil {
		return
	}
	s.log.ErrorContext(ctx, "panic handling a delivery", "source", source,
		"panic", s.Redact(fmt.Sprint(v)), "stack", s.Redact(string(debug.Stack())))
	s.countEvent(source, "panic")
	*resp = errorResponse(http.StatusInternalServerError, "", "internal error")
}
