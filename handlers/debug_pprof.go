//go:build !leadhook.lambda

package handlers

import (
	"net/http"
	"net/http/pprof"
)

// debugPaths is what the debug listener serves.
const debugPaths = "/debug/pprof and /debug/allocs"

// handleProfiles serves net/http/pprof's profiles under /debug/pprof/.
func handleProfiles(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
