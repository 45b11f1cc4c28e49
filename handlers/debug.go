package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/metrics"
	"time"
)

// EnvDebugAddr names the admin listen address of the profiling endpoint
// (/debug/pprof) and the allocation counters (/debug/allocs). Unset: off.
const EnvDebugAddr = "LEADHOOK_DEBUG_ADDR"

// DebugHandler serves net/http/pprof under /debug/pprof/ (not in the
// Lambda build, see debug_lambda.go) and the process's allocation
// counters under /debug/allocs. It is meant for a separate, private
// listener (StartDebug): profiles show the process's internals.
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	handleProfiles(mux)
	mux.HandleFunc("/debug/allocs", serveAllocs)
	return mux
}

// Allocs are the process's cumulative heap allocation counters (from
// runtime/metrics): read them before and after a run and divide by its
// requests for allocations per request.
type Allocs struct {
	Objects uint64 `json:"objects"`
	Bytes   uint64 `json:"bytes"`
}

// ReadAllocs reads /gc/heap/allocs:objects and /gc/heap/allocs:bytes.
func ReadAllocs() Allocs {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return Allocs{Objects: s[0].Value.Uint64(), Bytes: s[1].Value.Uint64()}
}

func serveAllocs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ReadAllocs())
}

// StartDebug serves DebugHandler on addr until ctx ends; an empty addr
// starts nothing (the default: profiling is opt-in). It returns the
// address it listens on ("" when off).
func StartDebug(ctx context.Context, addr string, log *slog.Logger) (string, error) {
	if addr == "" {
		return "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", EnvDebugAddr, addr, err)
	}
	// No write timeout: /debug/pprof/profile streams for ?seconds=N.
	srv := &http.Server{Handler: DebugHandler(), ReadHeaderTimeout: ReadHeaderTimeout, IdleTimeout: IdleTimeout}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if log != nil {
		log.Warn("profiling endpoint on: "+debugPaths+"; keep this address private", "addr", ln.Addr().String())
	}
	return ln.Addr().String(), nil
}
