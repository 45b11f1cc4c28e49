package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
)

const deliveriesDoc = `Look at and act on the delivery history (the decision audit kept by leadhook serve in the
store named by LEADHOOK_DATA_DIR or LEADHOOK_STORE_URL).

Subcommands:
  list [--source S] [--outcome O] [--since D] [--limit N] [--format text|json]
                  recent deliveries, newest first (D: a duration back from now, 24h, or a date/time, 2026-03-01)
  show ID [--body]
                  the whole record as JSON: matched rules, score parts, planned and made Deskera calls, outcome
                  (--body: with the kept raw body, which holds unmasked personal data)
  replay ID... [--dry-run]
                  run deliveries again on today's rules from their kept bodies (queued and dead-lettered
                  deliveries keep theirs for the body retention); --dry-run plans without calling Deskera's writes
  retry-dead [--source S]
                  queue the dead-lettered deliveries again (all, or of one source), on the rules in force`

// deliveriesCommands are the subcommands, each with its synopsis; a
// subcommand is added here.
func deliveriesCommands() map[string]command {
	return map[string]command{
		"list":       {"list [--source S] [--outcome O] [--since D] [--limit N] [--format text|json]", runDeliveriesList},
		"show":       {"show ID [--body]", runDeliveriesShow},
		"replay":     {"replay ID... [--dry-run]", runDeliveriesReplay},
		"retry-dead": {"retry-dead [--source S]: queue the dead-lettered deliveries again, on the rules in force", runRetryDead},
	}
}

func runDeliveries(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		w := env.Stdout
		if len(args) == 0 {
			w = env.Stderr
		}
		fmt.Fprintf(w, "Usage: leadhook deliveries <subcommand> [flags]\n\n%s\n", deliveriesDoc)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, ok := deliveriesCommands()[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "leadhook deliveries: unknown subcommand %q (want one of %s)\n", args[0], strings.Join(commandNames(deliveriesCommands()), ", "))
		return 2
	}
	return sub.run(ctx, env, args[1:])
}

// deliveriesConfig parses subcommand name's flags (extra) with the
// configuration's; code is -1 to go on.
func deliveriesConfig(name string, args []string, env *Env, extra func(*flag.FlagSet)) (*Config, []string, int) {
	cfg, rest, err := parseConfigWith("deliveries "+name, args, env, extra)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(env.Stdout, "Usage: leadhook deliveries %s\n\n%s\n\nConfiguration flags (as for serve):\n", deliveriesCommands()[name].summary, deliveriesDoc)
		printSettings(env.Stdout)
		return nil, nil, 0
	case err != nil:
		fmt.Fprintf(env.Stderr, "leadhook deliveries %s: %v\n", name, err)
		return nil, nil, 2
	}
	return cfg, rest, -1
}

func openDeliveries(ctx context.Context, env *Env, cfg *Config) (*history.Store, int) {
	st, err := cfg.openHistory(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries: %v\n", err)
		if errors.Is(err, errNoStore) {
			return nil, 2
		}
		return nil, 1
	}
	return st, -1
}

// listDeliveries opens the delivery history and lists what f selects;
// cmd begins the message of a failed list. code is -1 to go on (the
// caller then closes the store), else the exit code.
func listDeliveries(ctx context.Context, env *Env, cfg *Config, cmd string, f history.Filter) (*history.Store, []history.Record, int) {
	st, code := openDeliveries(ctx, env, cfg)
	if code >= 0 {
		return nil, nil, code
	}
	recs, err := st.List(ctx, f)
	if err != nil {
		st.Close()
		fmt.Fprintf(env.Stderr, "%s: %v\n", cmd, err)
		return nil, nil, 1
	}
	return st, recs, -1
}

// parseSince reads --since: a duration back from now, or an RFC 3339
// time, or a date (UTC).
func parseSince(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (24h) or a date/time (2026-03-01, 2026-03-01T15:04:05Z)", v)
}

func runDeliveriesList(ctx context.Context, env *Env, args []string) int {
	var f history.Filter
	var since, format string
	cfg, rest, code := deliveriesConfig("list", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&f.Source, "source", "", "only this source")
		fs.StringVar(&f.Outcome, "outcome", "", "only this outcome (ok, failed, retry, queued, dead)")
		fs.StringVar(&since, "since", "", "only deliveries received since")
		fs.IntVar(&f.Limit, "limit", 50, "most deliveries listed")
		fs.StringVar(&format, "format", "text", "text or json")
	})
	if code >= 0 {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "leadhook deliveries list: unexpected argument %q\n", rest[0])
		return 2
	}
	var err error
	if f.Since, err = parseSince(since, time.Now()); err != nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries list: %v\n", err)
		return 2
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(env.Stderr, "leadhook deliveries list: --format %q: want text or json\n", format)
		return 2
	}
	st, recs, code := listDeliveries(ctx, env, cfg, "leadhook deliveries list", f)
	if code >= 0 {
		return code
	}
	defer st.Close()
	if format == "json" {
		return writeJSON(env, map[string]any{"deliveries": recs})
	}
	printDeliveries(env.Stdout, recs)
	return 0
}

// printDeliveries prints one line per delivery.
func printDeliveries(w io.Writer, recs []history.Record) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tSOURCE\tOUTCOME\tSTATUS\tATTEMPTS\tSCORE\tLABEL\tMATCHED")
	for _, r := range recs {
		score, label, matched := recordSummary(&r)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.ID, r.ReceivedAt.Format(time.RFC3339), r.Source, r.Outcome,
			r.Status, r.Attempts, score, cmp.Or(label, "-"), cmp.Or(matched, "-"))
	}
	tw.Flush()
	if len(recs) == 0 {
		fmt.Fprintln(w, "(no deliveries)")
	}
}

// recordSummary is a record's score, label and matched rules for one line
// (events joined with ;).
func recordSummary(r *history.Record) (score, label, matched string) {
	var s, l, m []string
	for _, e := range r.Events {
		s = append(s, strconv.FormatFloat(e.Score, 'f', -1, 64))
		if e.Label != "" {
			l = append(l, e.Label)
		}
		if len(e.Matched) > 0 {
			m = append(m, strings.Join(e.Matched, ","))
		}
	}
	return strings.Join(s, ";"), strings.Join(l, ";"), strings.Join(m, ";")
}

func writeJSON(env *Env, v any) int {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(env.Stderr, "leadhook: %v\n", err)
		return 1
	}
	return 0
}

func runDeliveriesShow(ctx context.Context, env *Env, args []string) int {
	var withBody bool
	cfg, ids, code := deliveriesConfig("show", args, env, func(fs *flag.FlagSet) {
		fs.BoolVar(&withBody, "body", false, "include the kept raw body (unmasked personal data)")
	})
	if code >= 0 {
		return code
	}
	if len(ids) != 1 {
		fmt.Fprintln(env.Stderr, "leadhook deliveries show: want exactly one delivery id (see deliveries list)")
		return 2
	}
	st, code := openDeliveries(ctx, env, cfg)
	if code >= 0 {
		return code
	}
	defer st.Close()
	r, err := st.Get(ctx, ids[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries show: %v\n", err)
		return 1
	}
	if !withBody {
		r.Body = nil // body_expires_at says one is kept
	}
	return writeJSON(env, r)
}

func runDeliveriesReplay(ctx context.Context, env *Env, args []string) int {
	var dryRun bool
	cfg, ids, code := deliveriesConfig("replay", args, env, func(fs *flag.FlagSet) {
		fs.BoolVar(&dryRun, "dry-run", false, "plan only: no Deskera writes, nothing recorded")
	})
	if code >= 0 {
		return code
	}
	if len(ids) == 0 {
		fmt.Fprintln(env.Stderr, "leadhook deliveries replay: want one or more delivery ids (see deliveries list)")
		return 2
	}
	if cfg.historyWhere() == "" {
		fmt.Fprintf(env.Stderr, "leadhook deliveries replay: %v\n", errNoStore)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := handlers.NewLogger(env.Stderr, cfg.LogLevel)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries replay: %v\n", err)
		return 2
	}
	defer a.close()
	if a.history == nil {
		fmt.Fprintf(env.Stderr, "leadhook deliveries replay: the history store %s could not be opened (see the log above)\n", cfg.historyWhere())
		return 1
	}
	failed := 0
	for _, id := range ids {
		if !replayOne(ctx, env, a, id, dryRun) {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "leadhook deliveries replay: %d of %d not done\n", failed, len(ids))
		return 1
	}
	return 0
}

// replayOne replays one delivery and prints its answer; false when it was
// not done (unknown, no body, or a non-2xx answer).
func replayOne(ctx context.Context, env *Env, a *app, id string, dryRun bool) bool {
	rec, err := a.history.Get(ctx, id)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", id, err)
		return false
	}
	resp, err := a.svc.Replay(ctx, rec, dryRun)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", id, err)
		return false
	}
	body, _ := json.Marshal(resp.Body)
	fmt.Fprintf(env.Stdout, "%s: %d %s\n", id, resp.Status, body)
	return resp.Status >= 200 && resp.Status < 300
}
