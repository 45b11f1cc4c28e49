// Package handlerstest builds the fixtures of the tests of handlers and
// the packages around it (admin, lambda, idempotency, obs): a rules file
// loaded, an engine prepared on a Deskera, and rules.example.yaml's whole
// service on a fake Deskera, so the service is assembled for tests in one
// place.
package handlerstest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// ExampleRules loads the repository's rules.example.yaml with an empty
// environment, so every ${VAR} takes its default.
func ExampleRules(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := rules.LoadFile(repoFile(tb, "rules.example.yaml"), rules.WithLookupEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// Rules loads the rules file at path (relative to the test's package).
func Rules(tb testing.TB, path string) *rules.Set {
	tb.Helper()
	set, err := rules.LoadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// Engine is an engine made with opts acting on crm, prepared for set (its
// labels exist on crm).
func Engine(tb testing.TB, crm engine.CRM, set *rules.Set, opts ...engine.EngineOption) *engine.Engine {
	tb.Helper()
	eng, err := engine.NewEngine(crm, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	if err := eng.Prepare(context.Background(), set); err != nil {
		tb.Fatal(err)
	}
	return eng
}

// ExampleService is rules.example.yaml's service on a new fake Deskera
// over HTTP, its labels prepared. cfg gives the rest of the service's
// configuration; its Rules and Engine are set here.
func ExampleService(tb testing.TB, cfg handlers.Config) (*handlers.Service, *rules.Set, *deskeratest.Server) {
	tb.Helper()
	set := ExampleRules(tb)
	fake := deskeratest.NewServer(tb)
	cfg.Rules, cfg.Engine = set, Engine(tb, fake.Client(), set)
	svc, err := handlers.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return svc, set, fake
}

// repoFile is the path of name at the module root, found by walking up
// from the test's working directory (its package's folder) to go.mod.
func repoFile(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("handlerstest: no go.mod above the working directory, looking for %q", name)
		}
		dir = parent
	}
}

// HexHMAC is the hex HMAC-SHA256 of body under secret: an hmac-sha256
// source's signature (the example's website source wants it after
// "sha256=" in X-Signature).
func HexHMAC(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}
