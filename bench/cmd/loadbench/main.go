// Command loadbench runs leadhook's load benchmark and writes
// BENCHMARKS.md: bare-Gin and Gin + HMAC baselines, leadhook's dry-run
// ingest and
// leadhook end to end against a neutral CRM stub process and a
// duplicate burst, each at maximum
// throughput (wrk) and at fixed rates (vegeta), in interleaved rounds
// with a fresh server process per run; plus CRM call economy, start-up,
// sizes and the micro-benchmark output. scripts/bench.sh builds the
// binaries and calls it; see `loadbench -h`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command-line settings.
type options struct {
	leadhook, baseline, stub, example string
	script, wrk                       string
	work, out, command                string
	micro, lambdaLog, profile, notes  string
	only                              string // comma-separated scenario keys; empty: all
	bootstrap, lambdaZip              string
	rounds, threads, conns, fixedRate int
	startups, leadsPerRun             int
	duration, warmup, rateDuration    time.Duration
	smoke                             bool
	economyOnly                       bool
	invocation                        string // the harness command line, for the report
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.leadhook, "leadhook", "bin/leadhook", "leadhook binary (make build)")
	fs.StringVar(&o.baseline, "baseline", "bin/bench-baseline", "bare-Gin baseline binary (bench/baseline)")
	fs.StringVar(&o.stub, "stub", "bin/crmstub", "neutral CRM stub binary (bench/cmd/crmstub)")
	fs.StringVar(&o.example, "rules", "rules.example.yaml", "the example rules file")
	fs.StringVar(&o.script, "script", "bench/wrk/lead.lua", "wrk Lua script")
	fs.StringVar(&o.wrk, "wrk", "wrk", "wrk binary")
	fs.StringVar(&o.work, "work", ".bench", "scratch directory (request files, rules)")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "markdown report to write")
	fs.StringVar(&o.command, "command", "make bench", "the command quoted in the report")
	fs.StringVar(&o.micro, "micro", "", "go test -bench output to include")
	fs.StringVar(&o.lambdaLog, "lambda-log", "", "output of the Lambda RIE test (init time)")
	fs.StringVar(&o.profile, "profile", "", "pprof -top output to include")
	fs.StringVar(&o.notes, "notes", "", "hand-written notes (markdown) appended to the report")
	fs.StringVar(&o.bootstrap, "bootstrap", "", "Lambda bootstrap binary (size)")
	fs.StringVar(&o.lambdaZip, "lambda-zip", "", "Lambda zip (size)")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds (fresh server each run)")
	fs.IntVar(&o.threads, "t", 2, "wrk threads")
	fs.IntVar(&o.conns, "c", 64, "wrk connections")
	fs.IntVar(&o.fixedRate, "fixed-rate", 200, "the fixed comparison rate (requests/s)")
	fs.IntVar(&o.startups, "startups", 5, "start-up measurements per server")
	fs.IntVar(&o.leadsPerRun, "leads", 150000, "distinct leads prepared per wrk run (end to end)")
	fs.DurationVar(&o.duration, "d", 5*time.Second, "wrk duration (whole seconds)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "wrk warm-up before each measured run (0: none)")
	fs.DurationVar(&o.rateDuration, "rate-d", 5*time.Second, "duration of each fixed-rate run")
	fs.StringVar(&o.only, "only", "", "run only these scenarios (comma-separated: baseline,baseline-hmac,dryrun,dryrun-sandbox,dryrun-form,e2e,e2e-history,e2e-dup,queued,queued-drain)")
	fs.BoolVar(&o.smoke, "smoke", false, "smoke mode: checks the machinery, numbers are not meaningful")
	fs.BoolVar(&o.economyOnly, "economy", false, "measure only the CRM call economy (in-process fake, no servers) and print its tables to stdout")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.rounds < 1 || o.threads < 1 || o.conns < o.threads || o.fixedRate < 1 || o.startups < 1 || o.leadsPerRun < 1 {
		return nil, fmt.Errorf("rounds, threads, connections (>= threads), fixed rate, start-ups and leads must be positive")
	}
	if o.duration < time.Second || o.rateDuration < time.Second {
		return nil, fmt.Errorf("durations must be at least 1s")
	}
	return o, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseOptions(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	o.invocation = strings.Join(os.Args, " ")
	if o.economyOnly {
		if err := runEconomy(ctx, o, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, o, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		os.Exit(1)
	}
}

// runEconomy measures the CRM call economy alone and prints its table and
// targets (calls are counted, not timed: the numbers do not depend on load).
func runEconomy(ctx context.Context, o *options, w io.Writer) error {
	rep := &report{opts: o}
	var err error
	if rep.economy, err = measureEconomy(ctx, o.example); err != nil {
		return err
	}
	var b strings.Builder
	rep.writeEconomy(&b)
	b.WriteString("| target | goal | measured | met |\n|---|---|---|---|\n")
	for _, t := range rep.economyTargets() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, t.Goal, t.Measured, t.metString())
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// run measures everything and writes the report.
func run(ctx context.Context, o *options, log io.Writer) error {
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	jsonRulesPath := filepath.Join(o.work, "rules.bench.yaml")
	if err := writeJSONRules(o.example, jsonRulesPath, ""); err != nil {
		return err
	}
	queuedRulesPath := filepath.Join(o.work, "rules.bench-queued.yaml")
	if err := writeJSONRules(o.example, queuedRulesPath, "queued"); err != nil {
		return err
	}
	rep := &report{opts: o, started: time.Now().UTC(), machine: describeMachine()}
	scens := selectScenarios(scenarios(o, jsonRulesPath, queuedRulesPath), o.only)
	rep.scens = scens
	if len(scens) == 0 {
		return fmt.Errorf("-only %q selects no scenario", o.only)
	}
	var err error
	rep.failed = map[string][]string{}
	if rep.load, err = measureLoad(ctx, o, scens, rep.failed, log); err != nil {
		return err
	}
	if rep.startup, err = measureStartup(ctx, o, jsonRulesPath, log); err != nil {
		return err
	}
	fmt.Fprintln(log, "loadbench: CRM call economy")
	if rep.economy, err = measureEconomy(ctx, o.example); err != nil {
		return err
	}
	rep.gather()
	rep.finished = time.Now().UTC()
	if err := os.WriteFile(o.out, []byte(rep.markdown()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "loadbench: wrote %s\n", o.out)
	return nil
}

// selectScenarios keeps the scenarios named in only (all when empty).
func selectScenarios(all []*scenario, only string) []*scenario {
	if only == "" {
		return all
	}
	var out []*scenario
	for _, s := range all {
		for _, k := range strings.Split(only, ",") {
			if strings.TrimSpace(k) == s.key {
				out = append(out, s)
			}
		}
	}
	return out
}
