// Package leadhook_test holds the architecture tests: which packages may
// import which, read from `go list` so it sees what the compiler sees,
// and that the README's package table names them all.
package leadhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/leadhook/leadhook"

// forbidden lists the imports the layering rules out, as path prefixes
// relative to the module: a package at or under from must not import one
// at or under to. Prefixes keep the rules true while packages move inside
// those trees (rules/engine, a handlers subpackage).
var forbidden = []struct{ from, to, why string }{
	{"deskera", "rules", "the CRM client knows nothing of the rules"},
	{"deskera", "handlers", "the CRM client knows nothing of the transport"},
	{"rules", "handlers", "deciding and acting sit below the service that drives them"},
}

// binaries must not link these: test support belongs in test binaries.
var binaries = map[string][]string{
	"./cmd/leadhook": {"testing", "net/http/httptest"},
}

type listed struct {
	ImportPath string
	Imports    []string
}

func TestForbiddenImports(t *testing.T) {
	for _, p := range goList(t, "./...") {
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			to, ok := inModule(imp)
			if !ok {
				continue
			}
			for _, f := range forbidden {
				if under(from, f.from) && under(to, f.to) {
					t.Errorf("%s imports %s: %s must not import %s (%s)", from, to, f.from, f.to, f.why)
				}
			}
			if isTestHelper(to) && !mayUseTestHelpers(from) {
				t.Errorf("%s imports the test helper %s: only tests, cmd/... and other test helpers may", from, to)
			}
		}
	}
}

func TestBinariesLinkNoTestSupport(t *testing.T) {
	for bin, banned := range binaries {
		for _, p := range goList(t, "-deps", bin) {
			if slices.Contains(banned, p.ImportPath) {
				t.Errorf("%s links %s (go list -deps %s): test support must stay out of the binary", bin, p.ImportPath, bin)
			}
		}
	}
}

// isTestHelper reports whether a package exists to support tests: its
// name ends in "test" (deskeratest, historytest, pgtest, ...) or starts
// with it (testskips).
func isTestHelper(pkg string) bool {
	base := path.Base(pkg)
	return strings.HasSuffix(base, "test") || strings.HasPrefix(base, "test")
}

// mayUseTestHelpers: commands (the sandbox wires the fake Deskera) and
// other test helpers. Test files are not in Imports, so they are free.
func mayUseTestHelpers(pkg string) bool {
	return pkg == "cmd" || strings.HasPrefix(pkg, "cmd/") || strings.Contains(pkg, "/cmd/") || isTestHelper(pkg)
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

func rel(pkg string) string { r, _ := inModule(pkg); return r }

func inModule(pkg string) (string, bool) {
	if pkg == module {
		return "", true
	}
	return strings.CutPrefix(pkg, module+"/")
}

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

// goList runs go list -json with args and decodes its packages.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"list", "-json=ImportPath,Imports"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatalf("go list %s listed no packages", strings.Join(args, " "))
	}
	return pkgs
}
