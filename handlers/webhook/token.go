package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// tokenVerifier checks a shared token, sent as `Authorization: Bearer
// <token>` (default) or as the whole value of a named header.
type tokenVerifier struct {
	header string // "" = Authorization: Bearer
	token  string
}

func newTokenVerifier(src rules.Source) (Verifier, error) {
	a := src.Auth
	tok := a.Token.Reveal()
	if tok == "" {
		tok = a.Secret.Reveal()
	}
	if tok == "" {
		return nil, fmt.Errorf("source %q: token needs auth.token", src.Name)
	}
	h := http.CanonicalHeaderKey(a.Header)
	if h == "Authorization" {
		h = ""
	}
	return &tokenVerifier{header: h, token: tok}, nil
}

// Verify compares the presented token in constant time.
func (v *tokenVerifier) Verify(ctx context.Context, req *Request) error {
	var got string
	if v.header == "" {
		got = BearerToken(req.Header)
	} else {
		got = strings.TrimSpace(req.Header.Get(v.header))
	}
	if got == "" || !secureEqual(got, v.token) {
		return Unauthorized()
	}
	return nil
}

// BearerToken returns the token of an `Authorization: Bearer <token>`
// header ("" when absent or another scheme).
func BearerToken(h http.Header) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// CheckBearer reports whether h carries `Authorization: Bearer want`,
// comparing in constant time. An empty want never matches.
func CheckBearer(h http.Header, want string) bool {
	got := BearerToken(h)
	return want != "" && got != "" && secureEqual(got, want)
}
