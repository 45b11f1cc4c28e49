package rules_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesIsPure fails when package rules (or a leadhook package it
// imports) imports the Deskera client, the engine or the transport:
// deciding stays pure, acting lives in rules/engine.
func TestRulesIsPure(t *testing.T) {
	const module = "github.com/leadhook/leadhook/"
	forbidden := []string{module + "deskera", module + "rules/engine", module + "handlers"}
	seen := map[string]bool{}
	var walk func(path, dir string)
	walk = func(path, dir string) {
		if seen[path] {
			return
		}
		seen[path] = true
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			for _, f := range forbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") {
					t.Errorf("%s imports %s", path, imp)
				}
			}
			if rel, ok := strings.CutPrefix(imp, module); ok {
				walk(imp, filepath.Join("..", filepath.FromSlash(rel)))
			}
		}
	}
	walk(module+"rules", ".")
	if len(seen) < 2 {
		t.Fatalf("walked only %v", seen)
	}
}
