package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// adminToken authorises leadhook's dry runs in the benchmark.
const adminToken = "bench-admin-token"

// queuedGoalRate is the rate at which issue 18 wants the queued intake's
// p99 under 50 ms.
const queuedGoalRate = 1000

// scenario is one server configuration and the requests it gets.
type scenario struct {
	key, title string
	srv        server
	leads      *leads
	// stub: a fresh neutral CRM stub process (bench/cmd/crmstub) is
	// leadhook's Deskera for the run.
	stub bool
	// burst: before the load, conns concurrent deliveries of one new
	// email, and the stub's calls for them.
	burst bool
	// baseline is the bare-Gin baseline, hmacBase the Gin + HMAC one:
	// the ratios are to them.
	baseline, hmacBase bool
	// allocs is where /debug/allocs answers ("{addr}" or "{debug}"; empty:
	// no allocation counts).
	allocs string
	// goalRate, when set, adds an open-loop run at the rate a goal names
	// (requests/s), after the half-load and fixed-rate runs.
	goalRate int
}

// scenarios: the bare-Gin baseline and Gin + HMAC, leadhook's dry run
// with the JSON website source and with rules.example.yaml as shipped
// (form body), leadhook end to end against the neutral CRM stub (a new
// lead each time), and the duplicate burst (one email on every
// connection), and the queued intake (the JSON source with delivery:
// queued: verify, parse, commit to the embedded store, 202; the workers
// drain to the stub meanwhile, in a fresh temporary data dir per
// process). Every leadhook run serves /debug/allocs on its admin
// address (LEADHOOK_DEBUG_ADDR), the baselines on their own port.
func scenarios(o *options, jsonRules, queuedRules string) []*scenario {
	signedJSON := func(path string, distinct bool, kv ...string) *leads {
		return &leads{enc: encJSON, path: path, secret: websiteSecret, distinct: distinct,
			header: headerOf(append([]string{"Content-Type", encJSON.contentType()}, kv...)...)}
	}
	lh := func(rules string, env ...string) server {
		return server{bin: o.leadhook, args: []string{"serve"}, env: append([]string{
			"LEADHOOK_ADDR={addr}", "LEADHOOK_RULES=" + rules, "LEADHOOK_LOG_LEVEL=info", "LEADHOOK_DEBUG_ADDR={debug}",
			"DESKERA_ACCESS_TOKEN=bench-stub-token", "DESKERA_RATE_LIMIT=0",
		}, env...)}
	}
	bearer := "Bearer " + adminToken
	dup := signedJSON("/hooks/website", true)
	dup.oneEmail = leadEmail("dup", 1)
	return []*scenario{
		{key: "baseline", title: "bare Gin baseline: read + parse JSON, 200", baseline: true, allocs: "{addr}",
			srv:   server{bin: o.baseline, args: []string{"-addr", "{addr}"}},
			leads: signedJSON("/hooks/website", false)},
		{key: "baseline-hmac", title: "Gin + HMAC: verify HMAC-SHA256, read + parse JSON, 200", hmacBase: true, allocs: "{addr}",
			srv:   server{bin: o.baseline, args: []string{"-addr", "{addr}", "-hmac", websiteSecret}},
			leads: signedJSON("/hooks/website", false)},
		// A dry run searches the contact (a read-only call, here on the
		// stub, unpaced as the e2e run's calls are).
		{key: "dryrun", title: "leadhook dry run: JSON lead, parse + search (stub) + evaluate + answer, no writes", stub: true, allocs: "{debug}",
			srv:   lh(jsonRules, "LEADHOOK_ADMIN_TOKEN="+adminToken),
			leads: signedJSON("/hooks/website?dry_run=1", false, "Authorization", bearer)},
		// Issue 18's own dry-run row: leadhook on its embedded defaults
		// (no Deskera credentials: the in-process sandbox, so the search
		// crosses no socket), as its independent run measured it.
		{key: "dryrun-sandbox", title: "leadhook dry run on the embedded sandbox (no Deskera credentials, as `leadhook serve` starts): JSON lead, parse + search (in process) + evaluate + answer", allocs: "{debug}",
			srv: server{bin: o.leadhook, args: []string{"serve"}, env: []string{
				"LEADHOOK_ADDR={addr}", "LEADHOOK_RULES=" + jsonRules, "LEADHOOK_LOG_LEVEL=info", "LEADHOOK_DEBUG_ADDR={debug}",
				"DESKERA_RATE_LIMIT=0", "LEADHOOK_ADMIN_TOKEN=" + adminToken}},
			leads: signedJSON("/hooks/website?dry_run=1", false, "Authorization", bearer)},
		{key: "dryrun-form", title: "leadhook dry run: form lead, rules.example.yaml as shipped (search on the stub, no writes)", stub: true, allocs: "{debug}",
			srv: lh(o.example, "LEADHOOK_ADMIN_TOKEN="+adminToken),
			leads: &leads{enc: encForm, path: "/hooks/website?dry_run=1", secret: websiteSecret,
				header: headerOf("Content-Type", encForm.contentType(), "Authorization", bearer)}},
		{key: "e2e", title: "leadhook end to end: HMAC + evaluate + neutral CRM stub process (search + create per new lead)", stub: true, allocs: "{debug}",
			srv:   lh(jsonRules),
			leads: signedJSON("/hooks/website", true)},
		{key: "e2e-history", title: "leadhook end to end with the delivery history (LEADHOOK_DATA_DIR, as the Kubernetes manifests run it): e2e + one SQLite record per delivery", stub: true, allocs: "{debug}",
			srv:   lh(jsonRules, "LEADHOOK_DATA_DIR={data}"),
			leads: signedJSON("/hooks/website", true)},
		{key: "e2e-dup", title: "leadhook duplicate burst: one new email on every connection, distinct deliveries (HMAC + evaluate + stub)", stub: true, burst: true, allocs: "{debug}",
			srv:   lh(jsonRules),
			leads: dup},
		// The queued intake as deployed: the workers drain at the rate
		// Deskera allows, which is the client's default limit (an empty
		// DESKERA_RATE_LIMIT; the last value of a variable wins).
		{key: "queued", title: "leadhook queued intake: HMAC + parse + durable commit to leadhook.db (embedded store), 202; workers drain to the stub at the client's default Deskera rate", stub: true, allocs: "{debug}",
			srv:   lh(queuedRules, "DESKERA_RATE_LIMIT="),
			leads: signedJSON("/hooks/website", true), goalRate: queuedGoalRate},
		// The same with the drain unpaced: a CRM that takes calls as fast
		// as they come, so the workers compete with the intake for the CPU.
		{key: "queued-drain", title: "leadhook queued intake while the workers drain unpaced (DESKERA_RATE_LIMIT=0) to the stub", stub: true, allocs: "{debug}",
			srv:   lh(queuedRules),
			leads: signedJSON("/hooks/website", true)},
	}
}

// runResult is one run of one scenario on a fresh server.
type runResult struct {
	Max wrkResult
	// CPUPerReq is the server process's CPU time per request during the
	// max-load run (user + system, 10 ms resolution over the run);
	// StubCPUPerReq the CRM stub's.
	CPUPerReq, StubCPUPerReq time.Duration
	// AllocObjs and AllocBytes are the server's heap allocations per
	// request over the max-load run (/debug/allocs before and after; 0:
	// not measured).
	AllocObjs, AllocBytes float64
	Half                  rateResult
	Fixed                 rateResult
	Goal                  rateResult // at scenario.goalRate (zero: none)
	RSS                   int64      // VmHWM after the max-load runs
	// RSSAfterRates is VmHWM after the fixed-rate runs too.
	RSSAfterRates int64
	Calls         map[string]int // CRM stub calls after start-up (burst excluded)
	CRMTotal      int
	// Burst is the duplicate burst (scenario.burst).
	Burst burstResult
	OK    int // 2xx answers sent to the server under test
}

// measureLoad runs the rounds: every scenario once per round, in order.
// Failed runs are recorded in failed.
func measureLoad(ctx context.Context, o *options, scens []*scenario, failed map[string][]string, log io.Writer) (map[string][]runResult, error) {
	files := map[string][2]string{}
	for _, s := range scens {
		warm := filepath.Join(o.work, s.key+".warm.req")
		meas := filepath.Join(o.work, s.key+".req")
		if err := s.leads.writeFile(warm, "warm", max(1, o.leadsPerRun/5)); err != nil {
			return nil, err
		}
		if err := s.leads.writeFile(meas, "max", o.leadsPerRun); err != nil {
			return nil, err
		}
		files[s.key] = [2]string{warm, meas}
	}
	out := map[string][]runResult{}
	for round := 1; round <= o.rounds; round++ {
		for _, s := range scens {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "loadbench: round %d/%d: %s\n", round, o.rounds, s.key)
			r, err := runOnce(ctx, o, s, files[s.key])
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				// One failed run (a server that did not start, a load
				// generator error) is reported, not fatal: the medians
				// are over the runs that completed.
				fmt.Fprintf(log, "loadbench:   run failed: %v\n", err)
				failed[s.key] = append(failed[s.key], fmt.Sprintf("round %d: %v", round, firstLine(err)))
				continue
			}
			fmt.Fprintf(log, "loadbench:   %.0f req/s; %d/s p99 %v; %d/s p99 %v; VmHWM %.1f MiB\n",
				r.Max.RPS, r.Half.Rate, r.Half.P99, r.Fixed.Rate, r.Fixed.P99, mib(r.RSS))
			if r.Goal.Rate > 0 {
				fmt.Fprintf(log, "loadbench:   goal rate %d/s p99 %v\n", r.Goal.Rate, r.Goal.P99)
			}
			out[s.key] = append(out[s.key], r)
		}
	}
	return out, nil
}

// runOnce starts a fresh server (and CRM stub), warms it up, measures
// the maximum with wrk, then half that rate and the fixed rate with
// vegeta, and reads the peak RSS.
func runOnce(ctx context.Context, o *options, s *scenario, files [2]string) (runResult, error) {
	var res runResult
	srv := s.srv
	var stub *proc
	if s.stub {
		var err error
		if stub, err = startReady(server{bin: o.stub, args: []string{"-addr", "{addr}"}}); err != nil {
			return res, fmt.Errorf("crm stub: %w", err)
		}
		defer stub.stop()
		srv.env = append(append([]string{}, srv.env...), "DESKERA_BASE_URL=http://"+stub.addr)
	}
	p, err := startReady(srv)
	if err != nil {
		return res, err
	}
	defer p.stop()
	url := "http://" + p.addr + s.leads.path
	if s.burst {
		if res.Burst, err = runBurst(ctx, url, s.leads, o.conns, stub); err != nil {
			return res, err
		}
	}
	calls0, err := stubCalls(stub) // start-up label calls are not per-lead calls
	if err != nil {
		return res, err
	}
	if o.warmup > 0 {
		w, err := runWrk(ctx, o, url, files[0], max(time.Second, o.warmup))
		if err != nil {
			return res, err
		}
		res.OK += w.Requests - w.Non2xx
	}
	if res, err = measureMax(ctx, o, s, p, stub, url, files[1], res); err != nil {
		return res, err
	}
	// Peak RSS after the max-load runs (benchmark-method.md): an
	// overloaded fixed-rate run piles up connections and would measure
	// the load generator's backlog rather than the server.
	if res.RSS, err = p.peakRSS(); err != nil {
		return res, err
	}
	half := max(1, int(res.Max.RPS/2))
	if res.Half, err = runRate(url, s.leads, "half", half, o.rateDuration); err != nil {
		return res, err
	}
	if res.Fixed, err = runRate(url, s.leads, "fixed", o.fixedRate, o.rateDuration); err != nil {
		return res, err
	}
	if s.goalRate > 0 {
		if res.Goal, err = runRate(url, s.leads, "goal", s.goalRate, o.rateDuration); err != nil {
			return res, err
		}
	}
	res.OK += res.Half.Requests - res.Half.Failed + res.Fixed.Requests - res.Fixed.Failed + res.Goal.Requests - res.Goal.Failed
	if res.RSSAfterRates, err = p.peakRSS(); err != nil {
		return res, err
	}
	if stub != nil {
		calls1, err := stubCalls(stub)
		if err != nil {
			return res, err
		}
		res.Calls, res.CRMTotal = subCalls(calls1, calls0)
	}
	return res, nil
}

// measureMax is the max-load wrk run with the server's (and stub's) CPU
// time and the server's allocations around it.
func measureMax(ctx context.Context, o *options, s *scenario, p, stub *proc, url, file string, res runResult) (runResult, error) {
	before, err := readCosts(p, stub, s.allocs)
	if err != nil {
		return res, err
	}
	if res.Max, err = runWrk(ctx, o, url, file, o.duration); err != nil {
		return res, err
	}
	after, err := readCosts(p, stub, s.allocs)
	if err != nil {
		return res, err
	}
	if n := res.Max.Requests; n > 0 {
		res.CPUPerReq = (after.cpu - before.cpu) / time.Duration(n)
		res.StubCPUPerReq = (after.stubCPU - before.stubCPU) / time.Duration(n)
		if s.allocs != "" {
			res.AllocObjs = float64(after.allocs.Objects-before.allocs.Objects) / float64(n)
			res.AllocBytes = float64(after.allocs.Bytes-before.allocs.Bytes) / float64(n)
		}
	}
	if res.Max.Non2xx*100 > res.Max.Requests {
		return res, fmt.Errorf("wrk: %d of %d answers were not 2xx at max load", res.Max.Non2xx, res.Max.Requests)
	}
	res.OK += res.Max.Requests
	return res, nil
}

// costs are the server's and the stub's CPU time and the server's
// allocations at one moment.
type costs struct {
	cpu, stubCPU time.Duration
	allocs       allocCounts
}

func readCosts(p, stub *proc, allocsAt string) (costs, error) {
	var c costs
	var err1, err2, err3 error
	c.allocs, err1 = p.allocs(allocsAt)
	c.cpu, err2 = p.cpuTime()
	c.stubCPU, err3 = stub.cpuTime()
	return c, errors.Join(err1, err2, err3)
}

// startReady starts srv on a free loopback port and waits for /readyz.
func startReady(srv server) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	debug, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := srv.start(addr, debug)
	if err != nil {
		return nil, err
	}
	if _, err := p.waitReady(time.Now(), 30*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// measureStartup times exec to the first /readyz 200, interleaving
// leadhook (end-to-end configuration: labels prepared against the fake
// on loopback) and the baseline.
func measureStartup(ctx context.Context, o *options, jsonRules string, log io.Writer) (map[string][]time.Duration, error) {
	fmt.Fprintln(log, "loadbench: start-up")
	fake, err := startFake()
	if err != nil {
		return nil, err
	}
	defer fake.stop()
	servers := []struct {
		key string
		srv server
	}{
		{"leadhook", server{bin: o.leadhook, args: []string{"serve"}, env: []string{"LEADHOOK_ADDR={addr}",
			"LEADHOOK_RULES=" + jsonRules, "DESKERA_BASE_URL=" + fake.url, "DESKERA_ACCESS_TOKEN=" + deskeratest.DefaultToken}}},
		{"leadhook-sandbox", server{bin: o.leadhook, args: []string{"serve"}, env: []string{"LEADHOOK_ADDR={addr}", "LEADHOOK_RULES=" + o.example}}},
		{"baseline", server{bin: o.baseline, args: []string{"-addr", "{addr}"}}},
	}
	out := map[string][]time.Duration{}
	for i := 0; i < o.startups; i++ {
		for _, s := range servers {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			d, err := startOnce(s.srv)
			if err != nil {
				return nil, fmt.Errorf("start-up %s: %w", s.key, err)
			}
			out[s.key] = append(out[s.key], d)
		}
	}
	return out, nil
}

func startOnce(srv server) (time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	started := time.Now()
	p, err := srv.start(addr, "")
	if err != nil {
		return 0, err
	}
	defer p.stop()
	return p.waitReady(started, 30*time.Second)
}

// firstLine is err's message up to its first newline.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
