// Package bench holds leadhook's load benchmark: a bare-Gin baseline
// server (bench/baseline), the harness that runs it beside leadhook and
// writes BENCHMARKS.md (bench/cmd/loadbench), the bench rules file and the
// wrk script. Run it with `make bench` (or `make bench-smoke`).
package bench
