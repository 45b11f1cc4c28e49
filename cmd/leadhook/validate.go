package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/rules"
)

// runValidate is `leadhook validate [--strict] [--format text|json] [FILE...]`:
// every problem and warning of every file at once, exit 1 when there is
// any problem (or, with --strict, any warning).
func runValidate(_ context.Context, env *Env, args []string) int {
	fs := newFlagSet("validate", env, "[--strict] [--format text|json] [FILE...]",
		"Check rules files: every problem as file:line: rule \"name\": message; exit 1 on any.\nWarnings (pitfalls that cannot be proven wrong) are shown too; --strict fails on them.\nFILE defaults to LEADHOOK_RULES, else rules.example.yaml.")
	format := fs.String("format", "text", "output format: text or json (for editors and CI)")
	strict := fs.Bool("strict", false, "fail on warnings too")
	files, code := parseArgs(fs, args, env)
	if code >= 0 {
		return code
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(env.Stderr, "leadhook validate: --format %q: want text or json\n", *format)
		return 2
	}
	if len(files) == 0 {
		files = []string{defaultRules(env)}
	}
	reports := make([]fileReport, 0, len(files))
	ok := true
	for _, f := range files {
		r := validateFile(f, env.LookupEnv, *strict)
		r.count()
		ok = ok && r.OK
		reports = append(reports, r)
	}
	if *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]any{"ok": ok, "files": reports})
	} else {
		printReports(env.Stdout, reports)
	}
	if !ok {
		return 1
	}
	return 0
}

// fileReport is the validation of one file.
type fileReport struct {
	File     string          `json:"file"`
	OK       bool            `json:"ok"`
	Problems []rules.Problem `json:"problems"`
	Summary  *summary        `json:"summary,omitempty"`
	// errors and warnings count Problems by severity.
	errors, warnings int
	strict           bool
}

type summary struct {
	Rules      int `json:"rules"`
	Sources    int `json:"sources"`
	Labels     int `json:"labels"`
	Pools      int `json:"owner_pools"`
	Thresholds int `json:"thresholds"`
}

// validateFile loads the file as serve would, then builds the service on
// it (every source's parser, verifier and browser guard: what only they
// check).
func validateFile(path string, lookup func(string) (string, bool), strict bool) fileReport {
	r := fileReport{File: path, Problems: []rules.Problem{}, strict: strict}
	data, err := os.ReadFile(path)
	if err != nil {
		r.Problems = append(r.Problems, rules.Problem{File: path, Message: readHint(err)})
		return r
	}
	set, err := rules.Load(path, data, rules.WithLookupEnv(lookup))
	var le *rules.LoadError
	switch {
	case errors.As(err, &le):
		r.Problems = append(r.Problems, le.Problems...)
		r.Problems = append(r.Problems, le.Warnings...)
		sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Line < r.Problems[j].Line })
		return r
	case err != nil:
		r.Problems = append(r.Problems, rules.Problem{File: path, Message: err.Error()})
		return r
	}
	// The service's own construction: every source's parser, verifier
	// and browser guard, as serve and lambda build them.
	if _, err := handlers.NewService(handlers.Config{Rules: set, Engine: unusedEngine{}}); err != nil {
		r.Problems = append(r.Problems, rules.Problem{File: path, Message: err.Error()})
		return r
	}
	r.Problems = append(r.Problems, set.Warnings()...)
	r.OK = !strict || len(r.Problems) == 0
	r.Summary = &summary{Rules: len(set.Rules()), Sources: len(set.Sources()), Labels: len(set.Labels()),
		Pools: len(set.Pools()), Thresholds: len(set.Thresholds())}
	return r
}

// count counts the report's problems by severity, after validateFile.
func (r *fileReport) count() {
	r.errors, r.warnings = 0, 0
	for _, p := range r.Problems {
		if p.Severity == rules.SeverityWarning {
			r.warnings++
		} else {
			r.errors++
		}
	}
}

// readHint words a read error for the user.
func readHint(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file; give the rules file's path (or set LEADHOOK_RULES)"
	case errors.Is(err, os.ErrPermission):
		return "permission denied reading the rules file"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func printReports(w io.Writer, reports []fileReport) {
	for _, r := range reports {
		for _, p := range r.Problems {
			fmt.Fprintln(w, p.Error())
		}
		warned := ""
		if r.warnings > 0 {
			warned = " and " + plural(r.warnings, "warning")
		}
		if r.OK {
			s := r.Summary
			fmt.Fprintf(w, "%s: ok: %s, %s, %s, %s, %s%s\n", r.File, plural(s.Rules, "rule"), plural(s.Sources, "source"),
				plural(s.Labels, "label"), plural(s.Pools, "owner pool"), plural(s.Thresholds, "threshold"),
				strings.Replace(warned, " and ", "; ", 1))
			continue
		}
		n := r.errors
		if r.strict {
			n += r.warnings
		}
		if r.errors == 0 {
			fmt.Fprintf(w, "%s: %s (failing with --strict); fix %s and run leadhook validate again (keys and functions: docs/rules-reference.md)\n",
				r.File, plural(r.warnings, "warning"), them(n))
			continue
		}
		fmt.Fprintf(w, "%s: %s%s; fix %s and run leadhook validate again (keys and functions: docs/rules-reference.md)\n",
			r.File, plural(r.errors, "problem"), warned, them(n))
	}
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// defaultRules is LEADHOOK_RULES, else rules.example.yaml.
func defaultRules(env *Env) string {
	if v := strings.TrimSpace(env.Getenv("LEADHOOK_RULES")); v != "" {
		return v
	}
	return "rules.example.yaml"
}

// newFlagSet makes a flag set whose usage goes to stderr with a synopsis.
func newFlagSet(name string, env *Env, synopsis, doc string) *flag.FlagSet {
	fs := flag.NewFlagSet("leadhook "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: leadhook %s %s\n\n%s\n\nFlags:\n", name, synopsis, doc)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags anywhere among the arguments (validate a.yaml
// --format json works) and returns the rest. code is -1 to go on, else
// the exit code (0 for --help, 2 for a usage error).
// The usage asked for with -h/--help goes to stdout; after a usage error,
// to the flag set's output (stderr) with the error.
func parseArgs(fs *flag.FlagSet, args []string, env *Env) (rest []string, code int) {
	errw := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	defer fs.SetOutput(errw)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				_, _ = env.Stdout.Write(buf.Bytes())
				return nil, 0
			}
			_, _ = errw.Write(buf.Bytes())
			return nil, 2
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, -1
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// sortedNames returns the keys of m sorted.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unusedEngine stands in for the engine when validate builds the service
// only to check its sources; nothing is ever processed.
type unusedEngine struct{}

func (unusedEngine) Process(context.Context, *rules.Set, *rules.Event, bool) (*rules.Outcome, error) {
	return nil, errors.New("leadhook validate processes no event")
}
