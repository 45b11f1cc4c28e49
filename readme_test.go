package leadhook_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMENamesEveryPackage keeps the README's package table whole: a
// package added to the module fails here until its row (or its name in
// the test helpers' row) says what it provides.
func TestREADMENamesEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "| package | provides |")
	if !ok {
		t.Fatal(`README.md has no "| package | provides |" table`)
	}
	if end := strings.Index(table, "\n\n"); end >= 0 {
		table = table[:end]
	}
	for _, p := range goList(t, "./...") {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue // the module's root: this test's own package
		}
		if !strings.Contains(table, "`"+rel+"`") {
			t.Errorf("README's package table does not name `%s`", rel)
		}
	}
}
