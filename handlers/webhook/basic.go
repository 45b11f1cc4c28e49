package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"

	"github.com/leadhook/leadhook/rules"
)

// basicVerifier checks HTTP Basic credentials. Username and password are
// hashed before comparing so neither length leaks, and both are always
// compared (no early exit on a wrong user).
type basicVerifier struct {
	user, pass [sha256.Size]byte
}

func newBasicVerifier(src rules.Source) (Verifier, error) {
	a := src.Auth
	if a.Username == "" || a.Password == "" {
		return nil, fmt.Errorf("source %q: basic needs auth.username and auth.password", src.Name)
	}
	return &basicVerifier{
		user: sha256.Sum256([]byte(a.Username)),
		pass: sha256.Sum256([]byte(a.Password.Reveal())),
	}, nil
}

// Verify checks the Authorization: Basic header.
func (v *basicVerifier) Verify(ctx context.Context, req *Request) error {
	r := http.Request{Header: req.Header}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return Unauthorized()
	}
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	userOK := subtle.ConstantTimeCompare(u[:], v.user[:])
	passOK := subtle.ConstantTimeCompare(p[:], v.pass[:])
	if userOK&passOK != 1 {
		return Unauthorized()
	}
	return nil
}
