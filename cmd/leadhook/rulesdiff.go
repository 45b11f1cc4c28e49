package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

const rulesDoc = `Usage: leadhook rules diff live.yaml candidate.yaml [--deliveries N]

Replay the last N stored deliveries (default 100) through both rules files, offline (no Deskera
call: each event is evaluated as for a new contact), and print every event whose matched rules,
label, owner or planned actions would change. Only deliveries whose body is still kept (queued
and dead-lettered ones, for the body retention) can be replayed; the others are counted as
skipped. The store is the one leadhook serve records to (LEADHOOK_DATA_DIR or LEADHOOK_STORE_URL).
Exit 0 whether or not anything would change, 1 on a store error, 2 on a usage error.`

func runRules(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprintln(env.Stderr, rulesDoc)
			return 2
		}
		fmt.Fprintln(env.Stdout, rulesDoc)
		return 0
	}
	if args[0] != "diff" {
		fmt.Fprintf(env.Stderr, "leadhook rules: unknown subcommand %q (want diff)\n", args[0])
		return 2
	}
	n := 100
	cfg, files, err := parseConfigWith("rules diff", args[1:], env, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "deliveries", 100, "how many of the latest stored deliveries to replay")
	})
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(env.Stdout, rulesDoc)
		fmt.Fprintln(env.Stdout, "\nConfiguration flags (as for serve):")
		printSettings(env.Stdout)
		return 0
	case err != nil:
		fmt.Fprintf(env.Stderr, "leadhook rules diff: %v\n", err)
		return 2
	case len(files) != 2:
		fmt.Fprintln(env.Stderr, "leadhook rules diff: want two rules files, live and candidate")
		return 2
	case n < 1:
		fmt.Fprintf(env.Stderr, "leadhook rules diff: --deliveries %d: want a positive number\n", n)
		return 2
	}
	var sets [2]*rules.Set
	for i, f := range files {
		if sets[i], err = rules.LoadFile(f, rules.WithLookupEnv(env.LookupEnv)); err != nil {
			fmt.Fprintf(env.Stderr, "leadhook rules diff: %v\n", err)
			return 2
		}
	}
	st, recs, code := listDeliveries(ctx, env, cfg, "leadhook rules diff", history.Filter{Limit: n})
	if code >= 0 {
		return code
	}
	defer st.Close()
	d := diffDeliveries(ctx, st, sets[0], sets[1], recs, webhook.Options{MaxMemory: cfg.MaxBody})
	d.print(env.Stdout, files[0], files[1])
	return 0
}

// rulesDiff is what `rules diff` found.
type rulesDiff struct {
	deliveries, skipped, events int
	changes                     []eventChange
	errors                      []string
}

type eventChange struct {
	delivery, source, event string
	live                    *history.Shadow // the live file's decision, in the same shape
	cand                    *history.Shadow
}

// diffDeliveries evaluates both files on every event of recs whose body
// is kept.
func diffDeliveries(ctx context.Context, st *history.Store, live, cand *rules.Set, recs []history.Record, opts webhook.Options) *rulesDiff {
	d := &rulesDiff{deliveries: len(recs)}
	for _, summary := range recs {
		rec, err := st.Get(ctx, summary.ID) // List leaves bodies out
		if err != nil {
			d.errors = append(d.errors, err.Error())
			continue
		}
		if rec.Body == nil {
			d.skipped++
			continue
		}
		evs, err := handlers.ParseRecord(live, rec, opts)
		if err != nil {
			d.errors = append(d.errors, err.Error())
			continue
		}
		for i := range evs {
			ev := &evs[i]
			d.events++
			lp := live.Evaluate(ev, nil)
			c := handlers.CompareRules(lp, cand, ev, nil)
			if len(c.Differences) == 0 {
				continue
			}
			self := handlers.CompareRules(lp, live, ev, nil)
			d.changes = append(d.changes, eventChange{delivery: rec.ID, source: rec.Source, event: ev.ID, live: self, cand: c})
		}
	}
	return d
}

func (d *rulesDiff) print(w io.Writer, liveFile, candFile string) {
	for _, c := range d.changes {
		fmt.Fprintf(w, "%s (%s, event %s): %s\n", c.delivery, c.source, c.event, strings.Join(c.cand.Differences, ", "))
		for _, what := range c.cand.Differences {
			switch what {
			case "matched":
				fmt.Fprintf(w, "  matched: [%s] -> [%s]\n", strings.Join(c.live.Matched, ", "), strings.Join(c.cand.Matched, ", "))
			case "label":
				fmt.Fprintf(w, "  label: %q -> %q (score %v -> %v)\n", c.live.Label, c.cand.Label, c.live.Score, c.cand.Score)
			case "owner":
				fmt.Fprintf(w, "  owner: %d -> %d\n", c.live.Owner, c.cand.Owner)
			case "planned":
				fmt.Fprintf(w, "  planned: [%s] -> [%s]\n", strings.Join(c.live.Planned, "; "), strings.Join(c.cand.Planned, "; "))
			}
		}
	}
	for _, e := range d.errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	fmt.Fprintf(w, "%s -> %s: %d deliveries read, %d skipped (body not kept), %d events compared, %d would change\n",
		liveFile, candFile, d.deliveries, d.skipped, d.events, len(d.changes))
}
