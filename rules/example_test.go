package rules_test

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// loadStrict loads a rules file the project ships, failing t on an error
// and on every warning: `leadhook validate --strict` must pass on it.
func loadStrict(t *testing.T, path string, lookup func(string) (string, bool)) *rules.Set {
	t.Helper()
	set, err := rules.LoadFile(path, rules.WithLookupEnv(lookup))
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	for _, w := range set.Warnings() {
		t.Errorf("%s warns (validate --strict fails): %s", path, w.Error())
	}
	return set
}

func TestLoadExample(t *testing.T) {
	set := loadStrict(t, "../rules.example.yaml", noEnv)
	names := map[string]bool{}
	for _, src := range set.Sources() {
		names[src.Name] = true
	}
	for _, want := range []string{"website", "typeform", "mailgun", "deskera"} {
		if !names[want] {
			t.Errorf("source %q missing", want)
		}
	}
	used := map[string]bool{}
	for _, r := range set.Rules() {
		for _, a := range r.Actions {
			used[a] = true
		}
	}
	for _, a := range rules.ActionNames() {
		if !used[a] {
			t.Errorf("action %q is not used in rules.example.yaml", a)
		}
	}
	if got, want := set.Sweep().ChunkSize, 200; got != want {
		t.Errorf("sweep chunk_size = %d, want %d", got, want)
	}
	src, _ := set.Source("website")
	if got, want := src.Auth.Secret.Reveal(), "dev-website-secret"; got != want {
		t.Errorf("website secret = %q, want %q", got, want)
	}
}

// TestLoadKubernetesRules: the shipped manifests' rules load with no error
// and no warning (validate --strict passes).
func TestLoadKubernetesRules(t *testing.T) {
	loadStrict(t, "../deploy/kubernetes/rules.yaml", func(string) (string, bool) { return "x", true })
}
