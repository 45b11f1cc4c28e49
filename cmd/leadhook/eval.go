package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/leadhook/leadhook/cmd/leadhook/internal/ruletest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// headerFlags collects repeated --header 'Name: value' flags.
type headerFlags struct{ h http.Header }

func (f *headerFlags) String() string { return "" }

func (f *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", v)
	}
	f.h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

// evalOptions are eval's flags.
type evalOptions struct {
	source, rules, format, receivedAt string
	verify, offline                   bool
	header                            headerFlags
}

// runEval is `leadhook eval --source NAME [--header 'K: V']... [FILE|-]`:
// a raw payload in, the normalised event, every rule's verdict with the
// value of its sub-expressions, the score parts and the Deskera calls the
// plan would make out. With Deskera credentials configured (and no
// --offline) it makes the dry run's read-only calls (the contact search,
// the labels) against that Deskera, so the plan is the one the service
// would carry out; it never writes. Without credentials, or with
// --offline, it plans on an in-memory sandbox and never calls Deskera.
func runEval(ctx context.Context, env *Env, args []string) int {
	o := &evalOptions{header: headerFlags{h: http.Header{}}}
	fs := newFlagSet("eval", env, "--source NAME [--header 'Name: value']... [FILE|-]",
		"Explain what the rules do with a raw payload (FILE, or standard input): the normalised event,\n"+
			"each rule matched / not matched / errored with the value of every sub-expression, the score parts\n"+
			"and the Deskera calls a dry run would make. With Deskera credentials set it looks the contact and\n"+
			"labels up there (reads only, never a write); --offline (or no credentials) plans on the sandbox.")
	evalFlags(fs, o, env)
	files, code := parseArgs(fs, args, env)
	if code >= 0 {
		return code
	}
	if msg := o.check(files); msg != "" {
		fmt.Fprintf(env.Stderr, "leadhook eval: %s\n", msg)
		return 2
	}
	at := time.Now().UTC()
	if o.receivedAt != "" {
		t, err := time.Parse(time.RFC3339, o.receivedAt)
		if err != nil {
			fmt.Fprintf(env.Stderr, "leadhook eval: --received-at %q: want an RFC 3339 time such as 2026-01-15T10:00:00Z\n", o.receivedAt)
			return 2
		}
		at = t
	}
	body, err := readPayload(files, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook eval: %v\n", err)
		return 1
	}
	return evalPayload(ctx, env, o, body, at)
}

func evalFlags(fs *flag.FlagSet, o *evalOptions, env *Env) {
	fs.StringVar(&o.source, "source", "", "the source the payload is posted to (required; a name under sources:)")
	fs.Var(&o.header, "header", "a request header 'Name: value' (repeatable); Content-Type is guessed when absent")
	fs.StringVar(&o.rules, "rules", defaultRules(env), "rules file (LEADHOOK_RULES)")
	fs.StringVar(&o.format, "format", "text", "output format: text or json")
	fs.StringVar(&o.receivedAt, "received-at", "", "the event's received_at, RFC 3339 (default now)")
	fs.BoolVar(&o.verify, "verify", false, "also check the signature or token as the service would")
	fs.BoolVar(&o.offline, "offline", false, "never call Deskera: plan on the in-memory sandbox, as if the contact were new")
}

func (o *evalOptions) check(files []string) string {
	switch {
	case o.source == "":
		return "--source is required: the name of the source (under sources: in the rules file) the payload is posted to"
	case o.format != "text" && o.format != "json":
		return fmt.Sprintf("--format %q: want text or json", o.format)
	case len(files) > 1:
		return "give one payload file (or - for standard input)"
	}
	return ""
}

func readPayload(files []string, env *Env) ([]byte, error) {
	if len(files) == 0 || files[0] == "-" {
		in := env.Stdin
		if in == nil {
			in = os.Stdin
		}
		return io.ReadAll(in)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("cannot read the payload file: %w", err)
	}
	return data, nil
}

// evalResult is one event's explanation (the JSON output).
type evalResult struct {
	Event   *rules.Event          `json:"event"`
	Plan    *rules.Plan           `json:"plan"`
	Explain *rules.Explanation    `json:"explain"`
	Results []engine.ActionResult `json:"results"`
	Calls   []engine.Call         `json:"calls"`
	Error   string                `json:"error,omitempty"`
}

func evalPayload(ctx context.Context, env *Env, o *evalOptions, body []byte, at time.Time) int {
	set, err := rules.LoadFile(o.rules, rules.WithLookupEnv(env.LookupEnv))
	if err != nil {
		fmt.Fprintf(env.Stderr, "%v\nleadhook eval: the rules file %s has problems; run leadhook validate %s\n", err, o.rules, o.rules)
		return 1
	}
	if _, ok := set.Source(o.source); !ok {
		fmt.Fprintf(env.Stderr, "leadhook eval: unknown source %q; the rules file declares: %s\n", o.source, ruletest.SourceNames(set))
		return 1
	}
	// The engine plans on the configured Deskera (reads only), or on an
	// in-memory Deskera holding the declared labels (--offline, or no
	// credentials), so label ids resolve as in a running service.
	eng, online, err := evalEngine(ctx, env, o, set, at)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook eval: %v\n", err)
		return 1
	}
	d, err := ruletest.Deliver(ctx, set, eng, ruletest.Post{Source: o.source, Header: o.header.h, Body: body, Now: at, Verify: o.verify, DryRun: true})
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook eval: %v\n", err)
		if errors.Is(err, ruletest.ErrAuth) {
			fmt.Fprintln(env.Stderr, "leadhook eval: pass the provider's signature header with --header, or leave out --verify to evaluate without checking it")
		}
		return 1
	}
	results := make([]evalResult, 0, len(d.Events))
	for i, ev := range d.Events {
		r := evalResult{Event: ev}
		var contact *rules.Contact
		if out := d.Outcomes[i]; out != nil {
			r.Plan, r.Results, r.Calls, contact = out.Plan, out.Results, out.Calls, out.Contact
		}
		r.Explain = set.Explain(ev, contact) // with the contact the dry run found (its stored score)
		if err := d.Errors[i]; err != nil {
			r.Error = err.Error()
		}
		results = append(results, r)
	}
	if o.format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]any{"source": o.source, "verified": o.verify, "events": results})
		return 0
	}
	for i, r := range results {
		printEval(env.Stdout, o, &r, i, len(results), online)
	}
	return 0
}

// evalEngine is the engine eval plans with: over the configured Deskera
// (online: a dry run makes its read-only calls there), or over the
// in-memory sandbox with --offline or without Deskera credentials.
func evalEngine(ctx context.Context, env *Env, o *evalOptions, set *rules.Set, at time.Time) (*engine.Engine, bool, error) {
	if !o.offline {
		cfg, err := parseConfig("eval", nil, env)
		if err != nil {
			return nil, false, err
		}
		if !cfg.Sandbox() {
			a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler)}
			client, err := a.newDeskera(handlers.NewMetrics())
			if err != nil {
				return nil, false, err
			}
			eng, err := engine.NewEngine(client)
			return eng, true, err
		}
	}
	sb, err := ruletest.NewSandbox(ctx, set, nil, at)
	if err != nil {
		return nil, false, err
	}
	return sb.Engine, false, nil
}

// printEval prints one event's explanation for a person.
func printEval(w io.Writer, o *evalOptions, r *evalResult, i, n int, online bool) {
	if n > 1 {
		fmt.Fprintf(w, "=== event %d of %d\n", i+1, n)
	}
	data, _ := json.MarshalIndent(r.Event, "  ", "  ")
	fmt.Fprintf(w, "event (source %q, kind %s):\n  %s\n", o.source, r.Event.Kind, data)
	if r.Plan == nil {
		fmt.Fprintf(w, "\nerror: %s\n", r.Error)
		return
	}
	printScores(w, r.Plan, r.Explain)
	fmt.Fprintln(w, "\nrules:")
	for _, x := range r.Explain.Rules {
		printRule(w, x)
	}
	printActions(w, r)
	if online {
		fmt.Fprintln(w, "\ndeskera calls (dry run: only the reads were made; no write was sent):")
	} else {
		fmt.Fprintln(w, "\ndeskera calls (dry run: none was made; label ids as in the sandbox):")
	}
	if len(r.Calls) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, c := range r.Calls {
		line := fmt.Sprintf("  %-6s %s", c.Method, c.Path)
		if c.Body != nil {
			b, _ := json.Marshal(c.Body)
			line += "  " + string(b)
		}
		fmt.Fprintln(w, line)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "\nerror: %s\n", r.Error)
	}
}

func printScores(w io.Writer, p *rules.Plan, x *rules.Explanation) {
	label := ""
	if p.ScoreLabel != "" {
		label = fmt.Sprintf(" -> %s", p.ScoreLabel)
	}
	fmt.Fprintf(w, "\nscore %s%s:\n", fmtValue(p.Score), label)
	parts := p.Scores
	if sc := p.Scoring; sc != nil {
		parts = sc.EventScores
		printScoring(w, sc)
	}
	for _, s := range x.Scores {
		fmt.Fprintf(w, "  %-18s %6s   %s\n", s.Name, fmtValue(parts[s.Name]), s.Expr)
		printSteps(w, s.Steps[min(1, len(s.Steps)):], 6)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(w, "  error: %s (counted as 0)\n", e)
	}
}

// printScoring says how the score combines the contact's stored score
// with this event's, and what is stored.
func printScoring(w io.Writer, sc *rules.Scoring) {
	stored := "none"
	if st := sc.Stored; st != nil {
		stored = fmtValue(sc.StoredScore)
		if st.Score != sc.StoredScore {
			stored += fmt.Sprintf(" (%s raised %s, decayed)", fmtValue(st.Score), st.At.Format(time.RFC3339))
		}
	}
	kept := "the stored score stands"
	switch {
	case sc.Write != nil:
		kept = "stores " + fmtValue(sc.Write.Score)
	case sc.Stored == nil:
		kept = "nothing stored"
	}
	fmt.Fprintf(w, "  stored score       %6s\n  event score        %6s\n  combined by %s: the %s score; %s\n",
		stored, fmtValue(sc.EventScore), sc.Combine, sc.From, kept)
	if sc.Problem != "" {
		fmt.Fprintf(w, "  note: %s\n", sc.Problem)
	}
	fmt.Fprintln(w, "  event score parts:")
}

func printRule(w io.Writer, x rules.ExprExplanation) {
	switch x.Result {
	case rules.ResultSkipped:
		fmt.Fprintf(w, "  [-] %s: skipped (%s)\n", x.Name, x.Reason)
		return
	case rules.ResultMatched:
		fmt.Fprintf(w, "  [x] %s: matched\n", x.Name)
	case rules.ResultError:
		fmt.Fprintf(w, "  [!] %s: error: %s\n", x.Name, x.Reason)
	default:
		fmt.Fprintf(w, "  [ ] %s: not matched\n", x.Name)
	}
	printSteps(w, x.Steps, 6)
}

// printSteps prints sub-expression values as an indented tree.
func printSteps(w io.Writer, steps []rules.Step, pad int) {
	base := 0
	if len(steps) > 0 {
		base = steps[0].Depth
	}
	for _, s := range steps {
		ind := strings.Repeat(" ", pad+2*(s.Depth-base))
		expr := truncate(s.Expr, 100)
		switch {
		case s.Skipped != "":
			fmt.Fprintf(w, "%s%s  (%s)\n", ind, expr, s.Skipped)
		case s.Error != "":
			fmt.Fprintf(w, "%s%s  -> error: %s\n", ind, expr, s.Error)
		default:
			fmt.Fprintf(w, "%s%s  = %s\n", ind, expr, fmtValue(s.Value))
		}
	}
}

func printActions(w io.Writer, r *evalResult) {
	fmt.Fprintln(w, "\nplanned actions:")
	if len(r.Plan.Actions) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for i, a := range r.Plan.Actions {
		detail := actionDetail(a)
		outcome := ""
		if i < len(r.Results) && r.Results[i].Error != "" {
			outcome = "  -> " + r.Results[i].Outcome + ": " + r.Results[i].Error
		}
		fmt.Fprintf(w, "  %-24s %-16s %s%s\n", a.Rule, a.Type, detail, outcome)
	}
}

func actionDetail(a rules.Action) string {
	var parts []string
	if a.MatchOn != "" {
		parts = append(parts, "match_on "+a.MatchOn)
	}
	if a.Label != "" {
		parts = append(parts, fmt.Sprintf("label %q", a.Label))
	}
	if a.OwnerID != 0 {
		p := fmt.Sprintf("owner %d", a.OwnerID)
		if a.Pool != "" {
			p += fmt.Sprintf(" (pool %s)", a.Pool)
		}
		parts = append(parts, p)
	}
	if a.Visibility != "" {
		parts = append(parts, "visibility "+a.Visibility)
	}
	if a.Fields != nil {
		b, _ := json.Marshal(a.Fields)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, " ")
}

// fmtValue formats an expression value briefly: strings quoted, whole
// numbers without decimals, anything else as compact JSON.
func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case *rules.Contact:
		if x == nil {
			return "nil"
		}
	case string:
		return truncate(fmt.Sprintf("%q", x), 100)
	case float64:
		return strconvNumber(x)
	case int:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return truncate(fmt.Sprint(v), 100)
	}
	return truncate(string(b), 100)
}

func strconvNumber(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
