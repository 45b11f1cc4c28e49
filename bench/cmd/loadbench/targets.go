package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
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

// Peer figures of issue 18 (the independent interleaved run): Benthos ->
// stub made 7,654 req/s where Gin + HMAC made 50,755, so ">= 1.3x Benthos
// -> stub" is >= 1.3 x 0.151 of Gin + HMAC measured in the same run.
const (
	benthosStubVsHMAC = 7654.0 / 50755.0
	e2eGoalVsHMAC     = 1.3 * benthosStubVsHMAC
)

// issue18Targets are the goals of issue 18, as ratios within this run.
func (r *report) issue18Targets() []target {
	var ts []target
	base, hm := r.baselineRPS(), r.hmacRPS()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	// The dry run twice: searching the neutral stub over loopback, and on
	// the embedded sandbox (the search in process), which is how issue
	// 18's independent run measured it (there 0.41 of bare Gin's req/s,
	// 0.31 of its CPU per request: the issue's "0.32").
	for _, dry := range []struct{ key, what string }{
		{"dryrun", "dry run (JSON lead, rules.example.yaml + JSON source, search on the stub)"},
		{"dryrun-sandbox", "dry run on the embedded sandbox (issue 18's own measurement)"},
	} {
		d := r.find(func(sc *scenario) bool { return sc.key == dry.key })
		if d.rps <= 0 || base <= 0 {
			continue
		}
		v := d.rps / base
		ts = append(ts, target{dry.what + " vs bare Gin", ">= 0.70",
			fmt.Sprintf("%.2f (%.0f / %.0f req/s)", v, d.rps, base), yes(v >= 0.70)})
		ts = append(ts, target{dry.what + ": server CPU per request", "<= 35 µs", fmt.Sprintf("%.0f µs", us(d.cpu)), yes(us(d.cpu) <= 35)})
		if d.allocObjs > 0 {
			ts = append(ts, target{dry.what + ": allocations per request (live process)", "< 80 objects, < 8 KB",
				fmt.Sprintf("%.0f objects, %.1f KB", d.allocObjs, d.allocKB), yes(d.allocObjs < 80 && d.allocKB < 8)})
		}
	}
	if e := r.find(func(sc *scenario) bool { return sc.key == "e2e" }); e.rps > 0 && hm > 0 {
		v := e.rps / hm
		ts = append(ts, target{"end to end (stub) vs Gin + HMAC", fmt.Sprintf(">= %.3f (1.3 x Benthos -> stub's %.3f of Gin + HMAC in issue 18's run)", e2eGoalVsHMAC, benthosStubVsHMAC),
			fmt.Sprintf("%.3f (%.0f / %.0f req/s)", v, e.rps, hm), yes(v >= e2eGoalVsHMAC)})
		ts = append(ts, target{"end to end: server CPU per new lead (2 calls)", "< 110 µs", fmt.Sprintf("%.0f µs (+%.0f µs in the stub)", us(e.cpu), us(e.stubCPU)), yes(us(e.cpu) < 110)})
	}
	if d := r.find(func(sc *scenario) bool { return sc.burst }); len(d.bursts) > 0 {
		worst := slices.MaxFunc(d.bursts, func(a, b burstResult) int { return a.Total - b.Total })
		ts = append(ts, target{fmt.Sprintf("a burst of %d duplicate deliveries for one new email", worst.N), "exactly 2 Deskera calls",
			fmt.Sprintf("%d calls (worst of %d runs)", worst.Total, len(d.bursts)), yes(worst.Total == 2 && worst.OK == worst.N)})
	}
	if q := r.find(func(sc *scenario) bool { return sc.key == "queued" }); q.rps > 0 && hm > 0 {
		v := q.rps / hm
		ts = append(ts, target{"queued intake vs Gin + HMAC", ">= 0.50", fmt.Sprintf("%.2f (%.0f / %.0f req/s)", v, q.rps, hm), yes(v >= 0.5)})
		// The goal's rate is 1,000 leads/s: the scenario's run at that rate;
		// without one, the half-load run when it is at least that (a
		// harder test), else the fixed-rate run, whose verdict is left open
		// below 1,000/s.
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
		switch {
		case q.sc.goalRate > 0 && q.goal[1] > 0:
			ts = append(ts, target{fmt.Sprintf("queued intake p99 at %d leads/s (kept up in %d of %d runs)", q.sc.goalRate, q.goalOK, len(q.runs)), "< 50 ms",
				ms(q.goal[1]), yes(q.goal[1] < 50*time.Millisecond && q.goalOK == len(q.runs))})
		case q.halfRate >= 1000 && q.half[1] > 0:
			ts = append(ts, target{fmt.Sprintf("queued intake p99 at %d leads/s (half load; the goal names 1,000/s)", q.halfRate), "< 50 ms",
				ms(q.half[1]), yes(q.half[1] < 50*time.Millisecond)})
		case q.fixed[1] > 0:
			var met *bool
			if r.opts.fixedRate >= 1000 {
				met = yes(q.fixed[1] < 50*time.Millisecond)
			}
			ts = append(ts, target{fmt.Sprintf("queued intake p99 at %d leads/s (the goal names 1,000/s)", r.opts.fixedRate), "< 50 ms",
				ms(q.fixed[1]), met})
		}
	} else {
		ts = append(ts, target{"queued intake vs Gin + HMAC (p99 < 50 ms at 1,000/s)", ">= 0.50", "not in this run", nil})
	}
	if q := r.find(func(sc *scenario) bool { return sc.key == "queued-drain" }); q.rps > 0 && hm > 0 {
		ts = append(ts, target{"queued intake while the workers drain unpaced vs Gin + HMAC", "(no goal: the goal's drain is at the rate Deskera allows)",
			fmt.Sprintf("%.2f (%.0f / %.0f req/s)", q.rps/hm, q.rps, hm), nil})
	}
	for _, s := range r.sizes {
		if strings.HasPrefix(s.What, "Lambda zip") && s.Bytes > 0 {
			ts = append(ts, target{"Lambda zip", "<= 10 MB", fmt.Sprintf("%.1f MB", float64(s.Bytes)/1e6), yes(s.Bytes <= 10e6)})
		}
	}
	return ts
}

func (r *report) writeTargets(b *strings.Builder) {
	b.WriteString("## Goals of issue 18 (ratios within this run)\n\n| goal | target | measured | met |\n|---|---|---|---|\n")
	for _, t := range r.issue18Targets() {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", t.What, t.Goal, t.Measured, t.metString())
	}
	b.WriteString("\nThe sweep (10,000 contacts in <= 150 calls) and Lambda init (<= 50 ms) goals are in the table below.\n\n")
	b.WriteString("## Targets (issue 8)\n\n| target | goal | measured | met |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", t.What, t.Goal, t.Measured, t.metString())
	}
	b.WriteString("\n")
}
