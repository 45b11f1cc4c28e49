package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// cliCase runs one command from the repository root and compares its
// exit code, stdout and stderr with testdata/golden/<golden>.golden.
type cliCase struct {
	name   string
	args   []string
	vars   map[string]string
	stdin  string
	golden string
	code   int
}

// repoRoot is the module root, where the commands run (so paths in the
// output read as a user would type them).
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}

func runGolden(t *testing.T, tests []cliCase) {
	t.Helper()
	goldenDir, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(repoRoot(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errw := testEnv(tt.vars)
			env.Stdin = strings.NewReader(tt.stdin)
			code := run(context.Background(), tt.args, env)
			got := fmt.Sprintf("$ leadhook %s\nexit %d\n--- stdout\n%s--- stderr\n%s",
				strings.Join(tt.args, " "), code, out.String(), errw.String())
			got = normalizeOutput(got)
			checkGolden(t, filepath.Join(goldenDir, tt.golden+".golden"), got)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
		})
	}
}

// volatile matches what changes from run to run: durations and times.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`finished in [0-9.]+(ns|µs|ms|s|m[0-9.]+s)`), "finished in <duration>"},
	{regexp.MustCompile(`"time":"[^"]+"`), `"time":"<time>"`},
}

func normalizeOutput(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.repl)
	}
	return s
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/leadhook -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func TestValidateCommand(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "example is valid", args: []string{"validate", "rules.example.yaml"}, golden: "validate-ok", code: 0},
		{name: "default file from LEADHOOK_RULES", args: []string{"validate"},
			vars: map[string]string{"LEADHOOK_RULES": "rules.example.yaml"}, golden: "validate-default", code: 0},
		{name: "every problem in one run", args: []string{"validate", "cmd/leadhook/testdata/validate/many-problems.yaml"},
			golden: "validate-problems", code: 1},
		{name: "several files", args: []string{"validate", "rules.example.yaml", "cmd/leadhook/testdata/bad-rules.yaml", "nope.yaml"},
			golden: "validate-several", code: 1},
		{name: "json for editors, flags among the files", args: []string{"validate", "cmd/leadhook/testdata/bad-rules.yaml", "--format", "json", "rules.example.yaml"},
			golden: "validate-json", code: 1},
		{name: "what failed on every event is rejected at load", args: []string{"validate", "cmd/leadhook/testdata/validate/load-time.yaml"},
			golden: "validate-load-time", code: 1},
		{name: "contact pitfalls are warnings", args: []string{"validate", "cmd/leadhook/testdata/validate/contact-warnings.yaml"},
			golden: "validate-warnings", code: 0},
		{name: "strict fails on warnings", args: []string{"validate", "--strict", "cmd/leadhook/testdata/validate/contact-warnings.yaml"},
			golden: "validate-warnings-strict", code: 1},
		{name: "strict passes the example", args: []string{"validate", "--strict", "rules.example.yaml", "deploy/kubernetes/rules.yaml"},
			golden: "validate-strict-example", code: 0},
		{name: "warnings in json", args: []string{"validate", "--format", "json", "cmd/leadhook/testdata/validate/contact-warnings.yaml"},
			golden: "validate-warnings-json", code: 0},
		{name: "bad format flag", args: []string{"validate", "--format", "xml"}, golden: "validate-bad-flag", code: 2},
	})
}
