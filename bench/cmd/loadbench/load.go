package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// leads describes the requests of one scenario: the body encoding, the
// path and fixed headers, whether each request carries a distinct lead
// (a new contact) and the HMAC secret (empty: unsigned).
type leads struct {
	enc      encoding
	path     string
	header   http.Header
	secret   string
	distinct bool
	// oneEmail, when set, is the email of every request; distinct
	// deliveries then differ in a tag in the page URL (the same contact
	// data: duplicates that the idempotency store does not collapse).
	oneEmail string
}

// request returns lead n's body and signature (n is ignored unless
// distinct).
func (l *leads) request(prefix string, n int) ([]byte, string) {
	if !l.distinct {
		prefix, n = "static", 1
	}
	body := l.enc.body(leadEmail(prefix, n))
	if l.oneEmail != "" {
		body = l.enc.tagged(l.oneEmail, prefix+"-"+strconv.Itoa(n))
	}
	if l.secret == "" {
		return body, ""
	}
	return body, signature(l.secret, body)
}

// writeFile writes the request file bench/wrk/lead.lua reads: count
// leads (one unless distinct) named prefix-1 .. prefix-count.
func (l *leads) writeFile(path, prefix string, count int) error {
	if !l.distinct {
		prefix, count = "static", 1
	}
	pre, post, err := l.enc.splitBody(prefix)
	if l.oneEmail != "" {
		pre, post, err = l.enc.splitTagged(l.oneEmail)
		pre += prefix + "-"
	}
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "path %s\n", l.path)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range l.header {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(w, "header %s: %s\n", k, l.header.Get(k))
	}
	if l.secret != "" {
		fmt.Fprintf(w, "sig %s\n", sigHeader)
	}
	fmt.Fprintf(w, "pre %s\npost %s\n", pre, post)
	for n := 1; n <= count; n++ {
		_, sig := l.request(prefix, n)
		if sig == "" {
			sig = "-"
		}
		fmt.Fprintf(w, "n %d %s\n", n, sig)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// maxWorkers bounds vegeta's concurrent requests (4 x wrk's 64 connections).
const maxWorkers = 256

// sigHeader carries the website source's HMAC signature.
const sigHeader = "X-Signature"

// wrkResult is one wrk run.
type wrkResult struct {
	Requests int
	RPS      float64
	Non2xx   int
	Errors   int // socket errors: connect, read, write, timeout
}

// runWrk runs wrk with bench/wrk/lead.lua against base+path.
func runWrk(ctx context.Context, o *options, url, reqFile string, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	args := []string{"-t" + strconv.Itoa(o.threads), "-c" + strconv.Itoa(o.conns), "--timeout", "10s",
		"-d" + strconv.Itoa(int(d.Seconds())) + "s", "-s", o.script, url, "--", reqFile, strconv.Itoa(o.threads)}
	out, err := exec.CommandContext(ctx, o.wrk, args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in `)
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads wrk's summary.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := wrkRPS.FindStringSubmatch(out)
	n := wrkRequests.FindStringSubmatch(out)
	if m == nil || n == nil {
		return r, fmt.Errorf("wrk output without a summary:\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	r.Requests, _ = strconv.Atoi(n[1])
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			v, _ := strconv.Atoi(s)
			r.Errors += v
		}
	}
	return r, nil
}

// rateResult is one fixed-rate run.
type rateResult struct {
	Rate     int     // requested per second
	Achieved float64 // completed responses per second
	Requests int
	Failed   int // non-2xx or transport errors
	P50      time.Duration
	P99      time.Duration
	P999     time.Duration
}

// reached reports whether the server kept up with the rate: at least
// 95% of it achieved and no failures.
func (r rateResult) reached() bool {
	return r.Requests > 0 && r.Failed == 0 && r.Achieved >= 0.95*float64(r.Rate)
}

// runRate sends rate requests per second for d with vegeta (open loop,
// so a slow server does not slow the sender) and returns exact latency
// quantiles of all responses.
func runRate(url string, l *leads, prefix string, rate int, d time.Duration) (rateResult, error) {
	if rate <= 0 {
		return rateResult{}, errors.New("rate must be positive")
	}
	var n atomic.Int64
	targeter := func(t *vegeta.Target) error {
		body, sig := l.request(prefix, int(n.Add(1)))
		t.Method, t.URL, t.Body = http.MethodPost, url, body
		t.Header = l.header.Clone()
		t.Header.Set("Accept-Encoding", "identity")
		if sig != "" {
			t.Header.Set(sigHeader, sig)
		}
		return nil
	}
	// At most maxWorkers requests in flight: a server that cannot keep
	// up shows as a rate not achieved, not as an unbounded pile of
	// connections.
	atk := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.KeepAlive(true), vegeta.MaxWorkers(maxWorkers))
	res := rateResult{Rate: rate}
	lat := make([]time.Duration, 0, rate*int(d.Seconds()+1))
	start := time.Now()
	var last time.Time
	for r := range atk.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, d, "rate") {
		res.Requests++
		if r.Error != "" || r.Code < 200 || r.Code > 299 {
			res.Failed++
		}
		lat = append(lat, r.Latency)
		if end := r.End(); end.After(last) {
			last = end
		}
	}
	if res.Requests == 0 {
		return res, errors.New("vegeta sent nothing")
	}
	res.Achieved = float64(res.Requests-res.Failed) / last.Sub(start).Seconds()
	res.P50, res.P99, res.P999 = quantiles(lat)
	return res, nil
}

// quantiles returns the exact p50, p99 and p99.9 (nearest rank).
func quantiles(lat []time.Duration) (p50, p99, p999 time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.50), rank(0.99), rank(0.999)
}

// headerOf builds a header from name, value pairs.
func headerOf(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
