package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/leadhook/leadhook/cmd/leadhook/internal/ruletest"
)

// runTest is `leadhook test [-v] [-run REGEXP] [PATH...]`: it runs rule
// test files and prints go test style results; exit 1 on any failure.
func runTest(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("test", env, "[-v] [-run REGEXP] [PATH...]",
		"Run rule test files. PATH is a test file or a folder (its *_test.yaml and *.test.yaml files);\n"+
			"without PATH, the test files beside the rules file (LEADHOOK_RULES, else rules.example.yaml).\n"+
			"The test file format is described in docs/writing-rules.md.")
	verbose := fs.Bool("v", false, "print every case, not only failures")
	runRE := fs.String("run", "", "run only the cases whose name matches this regular expression")
	paths, code := parseArgs(fs, args, env)
	if code >= 0 {
		return code
	}
	opts := ruletest.Options{LookupEnv: env.LookupEnv}
	if *runRE != "" {
		re, err := regexp.Compile(*runRE)
		if err != nil {
			fmt.Fprintf(env.Stderr, "leadhook test: -run %q: %v\n", *runRE, err)
			return 2
		}
		opts.Run = re.MatchString
	}
	if len(paths) == 0 {
		paths = []string{filepath.Dir(defaultRules(env))}
	}
	files, err := testFiles(paths)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook test: %v\n", err)
		return 2
	}
	t := &testRun{w: env.Stdout, verbose: *verbose}
	for _, f := range files {
		t.file(ctx, f, opts)
	}
	return t.finish()
}

// testFiles expands the paths: a folder gives its test files (none is an
// error), a file is taken as is.
func testFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", p, readHint(err))
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		for _, pat := range []string{"*_test.yaml", "*.test.yaml", "*_test.yml", "*.test.yml"} {
			m, _ := filepath.Glob(filepath.Join(p, pat))
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no test files (*_test.yaml or *.test.yaml) in this folder; see docs/writing-rules.md to write one", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

type testRun struct {
	w                      io.Writer
	verbose                bool
	passed, failed, broken int
}

// file runs one test file and prints its cases.
func (t *testRun) file(ctx context.Context, path string, opts ruletest.Options) {
	f, err := ruletest.ParseFile(path)
	var results []ruletest.Result
	if err == nil {
		results, err = ruletest.RunFile(ctx, f, opts)
	}
	if err != nil {
		t.broken++
		fmt.Fprintf(t.w, "FAIL\t%s\n%s\n", path, indent(err.Error(), "    "))
		return
	}
	failed := 0
	for _, r := range results {
		if t.verbose {
			fmt.Fprintf(t.w, "=== RUN   %s\n", r.Name)
		}
		if r.Passed() {
			t.passed++
			if t.verbose {
				fmt.Fprintf(t.w, "--- PASS: %s\n", r.Name)
			}
			continue
		}
		failed++
		t.failed++
		fmt.Fprintf(t.w, "--- FAIL: %s (%s:%d)\n", r.Name, r.File, r.Line)
		for _, msg := range r.Failures {
			fmt.Fprintln(t.w, indent(msg, "    "))
		}
	}
	status := "ok"
	if failed > 0 {
		status = "FAIL"
	}
	fmt.Fprintf(t.w, "%s\t%s\t%s\n", status, path, plural(len(results), "case"))
}

// finish prints the verdict and the counts and returns the exit code.
func (t *testRun) finish() int {
	verdict, code := "ok", 0
	if t.failed > 0 || t.broken > 0 {
		verdict, code = "FAIL", 1
	}
	fmt.Fprintln(t.w, verdict)
	counts := fmt.Sprintf("%d passed, %d failed", t.passed, t.failed)
	if t.broken > 0 {
		counts += fmt.Sprintf(", %s could not run", plural(t.broken, "file"))
	}
	fmt.Fprintln(t.w, counts)
	return code
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
