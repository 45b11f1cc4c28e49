package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository root relative to this package.
const repoRoot = ".."

// testVersion is stamped into the binaries the tests build, the way the
// Makefile and the Dockerfile stamp releases.
const testVersion = "v0.0.0-drift-test"

// binary is a leadhook binary built for the tests and what its --help says.
type binary struct {
	path     string
	help     string
	vars     map[string]bool // environment variables --help lists
	commands map[string]bool // commands --help lists
}

// built holds the binaries TestMain builds; set once before any test runs.
var built struct {
	server binary // -tags nomsgpack, as the Dockerfile and `make build` build it
	lambda binary // -tags lambdaTags, as the bootstrap, for this host
	dir    string
}

// lambdaTags are the Makefile's LAMBDA_TAGS (TestSAMBuildHook and the
// artefacts' build info check the Makefile uses them).
const lambdaTags = "lambda.norpc,nomsgpack,leadhook.lambda"

// lambdaZipMax is the largest Lambda zip of the deployed architecture
// (issue 18: <= 10 MB), as the Makefile's LAMBDA_ZIP_MAX.
const lambdaZipMax = 10_000_000

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leadhook-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy tests:", err)
		os.Exit(1)
	}
	code := 1
	if err := buildAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "deploy tests:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildAll(dir string) error {
	built.dir = dir
	var err error
	if built.server, err = buildBinary(dir, "leadhook", "nomsgpack"); err != nil {
		return err
	}
	built.lambda, err = buildBinary(dir, "leadhook-lambda", lambdaTags)
	return err
}

// buildBinary builds ./cmd/leadhook for this host with tags and reads its
// --help. It has no deadline of its own: go test's -timeout bounds the
// run, and a fixed one failed the package when a loaded machine took
// longer.
func buildBinary(dir, name, tags string) (binary, error) {
	ctx := context.Background()
	path := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", tags,
		"-ldflags", "-s -w -X main.version="+testVersion, "-o", path, "./cmd/leadhook")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return binary{}, fmt.Errorf("go build -tags %s ./cmd/leadhook: %w\n%s", tags, err, out)
	}
	res := run(ctx, path, nil, "--help")
	if res.err != nil || res.code != 0 {
		return binary{}, fmt.Errorf("%s --help: exit %d %v\n%s", name, res.code, res.err, res.out)
	}
	return binary{path: path, help: res.out, vars: helpVars(res.out), commands: helpCommands(res.out)}, nil
}

var envVarRe = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)

// helpVars returns the environment variable names --help mentions.
func helpVars(help string) map[string]bool {
	vars := map[string]bool{}
	for _, v := range envVarRe.FindAllString(help, -1) {
		vars[v] = true
	}
	return vars
}

// helpCommands returns the commands listed in --help's "Commands:" section:
// the first word of each indented line up to the next blank line.
func helpCommands(help string) map[string]bool {
	cmds := map[string]bool{}
	in := false
	for line := range strings.Lines(help) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "Commands:"):
			in = true
		case in && strings.TrimSpace(line) == "":
			if len(cmds) > 0 {
				return cmds
			}
		case in && strings.HasPrefix(line, "  "):
			if f := strings.Fields(line); len(f) > 0 {
				cmds[f[0]] = true
			}
		}
	}
	return cmds
}

// result is what a finished process left.
type result struct {
	out  string // stdout and stderr
	code int
	err  error // other than a non-zero exit
}

// run runs a binary with only env (plus PATH and HOME) in its environment.
func run(ctx context.Context, path string, env []string, args ...string) result {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return result{out: buf.String(), code: exit.ExitCode()}
	}
	return result{out: buf.String(), err: err}
}

// goRuntimeVars are variables the Go runtime reads, which a manifest may set
// although leadhook --help does not list them.
var goRuntimeVars = []string{"GOMEMLIMIT", "GOMAXPROCS", "GOGC", "GODEBUG", "TZ"}

// unknownVars returns the names in set that the binary does not read:
// neither listed by --help, nor the Go runtime's, nor referenced as ${VAR}
// by the rules file the artefact ships (rulesVars).
func unknownVars(set []string, bin binary, rulesVars map[string]bool) []string {
	var out []string
	for _, v := range set {
		if !bin.vars[v] && !slices.Contains(goRuntimeVars, v) && !rulesVars[v] {
			out = append(out, v)
		}
	}
	return out
}

// secretVar reports whether a variable holds a credential that must come
// from a secret store, never from a literal.
func secretVar(name string) bool {
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "SIGNING_KEY", "API_KEY", "REDIS_URL"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

var rulesVarRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}`)

// rulesFileVars returns the ${VAR} names a rules file references ("$${" is
// a literal and skipped).
func rulesFileVars(t testing.TB, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rules file: %v", err)
	}
	vars := map[string]bool{}
	for _, m := range rulesVarRe.FindAllStringSubmatchIndex(string(data), -1) {
		if m[0] > 0 && data[m[0]-1] == '$' {
			continue
		}
		vars[string(data[m[2]:m[3]])] = true
	}
	return vars
}

// problems collects what a check found wrong.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// assertProblems compares found problems with the wanted substrings: with
// none wanted, there must be none; otherwise each wanted substring must
// appear in some problem.
func assertProblems(t *testing.T, got problems, want []string) {
	t.Helper()
	if len(want) == 0 {
		for _, p := range got {
			t.Error(p)
		}
		return
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, w) }) {
			t.Errorf("no problem mentions %q; got %d:\n  %s", w, len(got), strings.Join(got, "\n  "))
		}
	}
}

// mutate returns src with old replaced by repl, failing when old is absent
// (so a negative case cannot silently test the unchanged artefact).
func mutate(t *testing.T, src, old, repl string) string {
	t.Helper()
	if !strings.Contains(src, old) {
		t.Fatalf("mutation target %q not found", old)
	}
	return strings.Replace(src, old, repl, 1)
}

func readRepoFile(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(data)
}
