package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is everything measured, rendered by markdown.
type report struct {
	opts              *options
	scens             []*scenario
	started, finished time.Time
	machine           machine
	load              map[string][]runResult
	failed            map[string][]string // scenario -> failed runs
	startup           map[string][]time.Duration
	economy           []economyCase
	sizes             []fileSize
	micro             []microResult
	lambdaInit        []float64 // ms
	lambdaLines       []string
	profile, notes    string
}

type machine struct {
	CPUs                                     int
	CPU, Go, Kernel, Memory, LoadAvg, WrkVer string
	LoadAvgEnd                               string // when the report was written
}

// loadAvg is /proc/loadavg's 1, 5 and 15 minute averages ("" if unread).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			m.Memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	m.LoadAvg = loadAvg()
	return m
}

// fileSize is one artefact's size (Bytes < 0: missing).
type fileSize struct {
	What, Path string
	Bytes      int64
}

// gather reads the sizes and the files produced before loadbench ran.
func (r *report) gather() {
	o := r.opts
	r.machine.LoadAvgEnd = loadAvg()
	if out, err := exec.Command(o.wrk, "-v").CombinedOutput(); len(out) > 0 {
		r.machine.WrkVer = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		_ = err // wrk -v exits 1
	}
	for _, f := range []struct{ what, path string }{
		{"leadhook server binary (`make build`: static, stripped, -tags nomsgpack)", o.leadhook},
		{"bare-Gin baseline binary (stripped, -tags nomsgpack)", o.baseline},
		{"Lambda bootstrap (linux/arm64, -tags lambda.norpc,nomsgpack, stripped)", o.bootstrap},
		{"Lambda zip (bootstrap + rules.yaml)", o.lambdaZip},
	} {
		if f.path == "" {
			continue
		}
		fs := fileSize{What: f.what, Path: f.path, Bytes: -1}
		if st, err := os.Stat(f.path); err == nil {
			fs.Bytes = st.Size()
		}
		r.sizes = append(r.sizes, fs)
	}
	if b, err := os.ReadFile(o.micro); o.micro != "" && err == nil {
		r.micro = parseMicro(string(b))
	}
	if b, err := os.ReadFile(o.lambdaLog); o.lambdaLog != "" && err == nil {
		r.lambdaInit, r.lambdaLines = parseLambdaInit(string(b))
	}
	if b, err := os.ReadFile(o.profile); o.profile != "" && err == nil {
		r.profile = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(o.notes); o.notes != "" && err == nil {
		r.notes = strings.TrimSpace(string(b))
	}
}

// microResult is one go test -bench line.
type microResult struct {
	Pkg, Name               string
	NsOp, BytesOp, AllocsOp float64
	HasMem                  bool
	Runs                    int // results merged (go test -count)
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(?:\s+[0-9.]+ MB/s)?(?:\s+([0-9.]+) B/op\s+([0-9.]+) allocs/op)?`)

// parseMicro reads `go test -bench -benchmem` output (several packages).
func parseMicro(out string) []microResult {
	var res []microResult
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/leadhook/leadhook/")
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		r := microResult{Pkg: pkg, Name: m[1]}
		r.NsOp, _ = strconv.ParseFloat(m[2], 64)
		if m[3] != "" {
			r.HasMem = true
			r.BytesOp, _ = strconv.ParseFloat(m[3], 64)
			r.AllocsOp, _ = strconv.ParseFloat(m[4], 64)
		}
		res = append(res, r)
	}
	return medianMicro(res)
}

// medianMicro merges repeated results (go test -count N) into one per
// benchmark, in first-seen order, with the median of each figure.
func medianMicro(res []microResult) []microResult {
	type key struct{ pkg, name string }
	groups := map[key][]microResult{}
	var order []key
	for _, r := range res {
		k := key{r.Pkg, r.Name}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([]microResult, 0, len(order))
	for _, k := range order {
		g := groups[k]
		m := g[0]
		var ns, bytes, allocs []float64
		for _, r := range g {
			ns, bytes, allocs = append(ns, r.NsOp), append(bytes, r.BytesOp), append(allocs, r.AllocsOp)
		}
		m.NsOp, m.BytesOp, m.AllocsOp = median(ns), median(bytes), median(allocs)
		m.Runs = len(g)
		out = append(out, m)
	}
	return out
}

var (
	lambdaLine  = regexp.MustCompile(`lambda under aws-lambda-rie: .*`)
	lambdaInitA = regexp.MustCompile(`init phase ([0-9.]+) ms`)
	lambdaInitB = regexp.MustCompile(`Init Duration ([0-9.]+) ms`)
)

// parseLambdaInit finds the RIE test's timing lines and their init times.
func parseLambdaInit(out string) (ms []float64, lines []string) {
	for _, l := range lambdaLine.FindAllString(out, -1) {
		lines = append(lines, strings.TrimSpace(l))
		m := lambdaInitA.FindStringSubmatch(l)
		if m == nil {
			m = lambdaInitB.FindStringSubmatch(l)
		}
		if m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			ms = append(ms, v)
		}
	}
	return ms, lines
}

func median[T int | int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
