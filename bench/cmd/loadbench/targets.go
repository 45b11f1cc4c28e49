package main

import (
	"fmt"
	"strings"
)

// target is one of issue 8's targets with what was measured.
type target struct {
	What, Goal, Measured string
	Met                  *bool // nil: not measured
}

func yes(ok bool) *bool { return &ok }

func (r *report) targets() []target {
	var ts []target
	base := r.baselineRPS()
	for _, s := range r.summaries() {
		switch {
		case s.sc.key == "dryrun" && base > 0:
			ratio := s.rps / base
			ts = append(ts, target{"dry-run ingest throughput vs bare Gin", ">= 0.60",
				fmt.Sprintf("%.2f (%.0f / %.0f req/s)", ratio, s.rps, base), yes(ratio >= 0.60)})
		}
		if !s.sc.baseline && len(s.runs) > 0 {
			p99 := float64(s.half[1].Microseconds()) / 1000
			note := ""
			if s.halfOK < len(s.runs) {
				note = fmt.Sprintf("; rate kept up in %d of %d runs", s.halfOK, len(s.runs))
			}
			ts = append(ts, target{"p99 at half load: " + s.sc.key, "<= 5 ms",
				fmt.Sprintf("%.2f ms at %d/s%s", p99, s.halfRate, note), yes(p99 <= 5 && s.halfOK == len(s.runs))})
			f99 := float64(s.fixed[1].Microseconds()) / 1000
			ts = append(ts, target{fmt.Sprintf("p99 at the fixed %d/s (method's comparable rate): %s", r.opts.fixedRate, s.sc.key), "<= 5 ms",
				fmt.Sprintf("%.2f ms", f99), yes(f99 <= 5 && s.fixedOK == len(s.runs))})
		}
	}
	if ns, ok := r.microNs("rules", "BenchmarkEvaluate"); ok {
		ts = append(ts, target{"evaluation of rules.example.yaml", "<= 10 µs/event", fmt.Sprintf("%.2f µs", ns/1000), yes(ns <= 10000)})
	} else {
		ts = append(ts, target{"evaluation of rules.example.yaml", "<= 10 µs/event", "not measured (no micro-benchmark output)", nil})
	}
	ts = append(ts, r.economyTargets()...)
	ts = append(ts, r.sizeAndRSSTargets()...)
	return ts
}

func (r *report) economyTargets() []target {
	var ts []target
	for _, c := range r.economy {
		switch {
		case strings.HasPrefix(c.Name, "new hot lead"):
			ts = append(ts, target{"Deskera calls per new hot lead", "2", fmt.Sprintf("%d", c.Total), yes(c.Total <= 2)})
		case strings.HasPrefix(c.Name, "relabel sweep") && c.Total > 0:
			ratio := float64(c.Naive) / float64(c.Total)
			ts = append(ts, target{"10,000-contact sweep: naive / made", ">= 50x",
				fmt.Sprintf("%.1fx (%d vs %d)", ratio, c.Total, c.Naive), yes(ratio >= 50)})
		case strings.HasPrefix(c.Name, reassignCase) && c.BulkBound > 0:
			bulk := c.Calls["contacts.bulk_update"]
			ts = append(ts, target{"reassign 10,000 contacts to a pool of 3: bulk PATCHes (issue 14)", fmt.Sprintf("<= %d (%s)", c.BulkBound, c.BoundIs),
				fmt.Sprintf("%d bulk PATCHes + %d list pages (naive: %d PATCHes)", bulk, c.Calls["contacts.list"], c.Naive), yes(bulk <= c.BulkBound)})
		}
	}
	return ts
}

func (r *report) sizeAndRSSTargets() []target {
	var ts []target
	if len(r.sizes) > 0 && r.sizes[0].Bytes > 0 {
		n := r.sizes[0].Bytes
		ts = append(ts, target{"server binary size", "<= 12 MB", fmt.Sprintf("%.1f MB", float64(n)/1e6), yes(n <= 12e6)})
	}
	var rss int64
	for _, s := range r.summaries() {
		if !s.sc.baseline {
			rss = max(rss, s.rssMax)
		}
	}
	if rss > 0 {
		ts = append(ts, target{"peak RSS under load (worst leadhook run)", "<= 60 MB",
			fmt.Sprintf("%.1f MB (%.1f MiB)", float64(rss)/1e6, mib(rss)), yes(rss <= 60e6)})
	}
	if len(r.lambdaInit) > 0 {
		v := median(r.lambdaInit)
		ts = append(ts, target{"Lambda init (RIE)", "<= 50 ms", fmt.Sprintf("%.2f ms", v), yes(v <= 50)})
	} else {
		ts = append(ts, target{"Lambda init (RIE)", "<= 50 ms", "not measured in this run", nil})
	}
	return ts
}

// metString is yes, no or n/a (not measured).
func (t target) metString() string {
	switch {
	case t.Met == nil:
		return "n/a"
	case *t.Met:
		return "yes"
	}
	return "no"
}

func (r *report) writeTargets(b *strings.Builder) {
	b.WriteString("## Targets (issue 8)\n\n| target | goal | measured | met |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", t.What, t.Goal, t.Measured, t.metString())
	}
	b.WriteString("\n")
}
