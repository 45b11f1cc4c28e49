package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// newRequest builds a request to the harness's server with a body, an
// optional Content-Type and extra headers.
func (h *harness) newRequest(method, path, contentType, body string, header map[string]string) *http.Request {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

// rulesOnFake loads the rules file src and an engine on a new fake
// Deskera (not prepared: no labels are created).
func rulesOnFake(t *testing.T, src string) (*rules.Set, *engine.Engine, *deskeratest.Server) {
	t.Helper()
	set, err := rules.Load("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	eng, fake := engineOnFake(t)
	return set, eng, fake
}

// engineOnFake is an engine on a new fake Deskera.
func engineOnFake(t *testing.T) (*engine.Engine, *deskeratest.Server) {
	t.Helper()
	fake := deskeratest.NewServer(t)
	eng, err := engine.NewEngine(fake.Client())
	if err != nil {
		t.Fatal(err)
	}
	return eng, fake
}
