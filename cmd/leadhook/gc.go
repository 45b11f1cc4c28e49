package main

import (
	"runtime/debug"
	"strconv"
)

// defaultGCPercent is the garbage collector's target (GOGC) of serve and
// lambda when the environment sets none. A delivery allocates ~30-40 KB
// that is garbage as soon as it is answered, while the live heap is a few
// MiB: at Go's default of 100 the collector runs every few hundred
// deliveries. 200 halves that work for a heap that stays small (see
// BENCHMARKS.md). GOGC and GOMEMLIMIT still win, as the Go runtime
// documents them.
const defaultGCPercent = 200

// tuneGC sets defaultGCPercent unless GOGC is set, and returns the GOGC
// in effect and where it came from.
func tuneGC(env *Env) (gogc, from string) {
	if v, ok := env.LookupEnv("GOGC"); ok && v != "" {
		return v, "GOGC"
	}
	debug.SetGCPercent(defaultGCPercent)
	return strconv.Itoa(defaultGCPercent), "leadhook's default"
}
