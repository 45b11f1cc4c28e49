//go:build leadhook.lambda

package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leadhook/leadhook/handlers"
)

// TestDebugHandlerLambda: the Lambda build's debug handler keeps the
// allocation counters and serves no profiles.
func TestDebugHandlerLambda(t *testing.T) {
	h := handlers.DebugHandler()
	for path, want := range map[string]int{"/debug/allocs": http.StatusOK, "/debug/pprof/": http.StatusNotFound, "/debug/pprof/profile": http.StatusNotFound} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
}
