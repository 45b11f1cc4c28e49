//go:build leadhook.lambda

package handlers

import "net/http"

// debugPaths is what the debug listener serves.
const debugPaths = "/debug/allocs (the Lambda build has no /debug/pprof)"

// handleProfiles serves nothing in the Lambda build: a function takes no
// connections but the runtime's, so a profiling listener could not be
// reached, and net/http/pprof (with runtime/pprof and runtime/trace) is
// 136 KB of the zip's 10 MB.
func handleProfiles(*http.ServeMux) {}
