package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
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

// unusedEngine stands in for the engine when validate builds the service
// only to check its sources; nothing is ever processed.
type unusedEngine struct{}

func (unusedEngine) Process(context.Context, *rules.Set, *rules.Event, bool) (*engine.Outcome, error) {
	return nil, errors.New("leadhook validate processes no event")
}
