package rules_test

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestLoadExample(t *testing.T) {
	set, err := rules.LoadFile("../rules.example.yaml", rules.WithLookupEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		t.Fatalf("load rules.example.yaml: %v", err)
	}
	for _, w := range set.Warnings() {
		t.Errorf("rules.example.yaml warns (validate --strict fails): %s", w.Error())
	}
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
	set, err := rules.LoadFile("../deploy/kubernetes/rules.yaml", rules.WithLookupEnv(func(string) (string, bool) { return "x", true }))
	if err != nil {
		t.Fatalf("load deploy/kubernetes/rules.yaml: %v", err)
	}
	for _, w := range set.Warnings() {
		t.Errorf("deploy/kubernetes/rules.yaml warns: %s", w.Error())
	}
}
