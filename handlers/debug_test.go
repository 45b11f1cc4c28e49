package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers"
)

func TestDebugListenerIsOffByDefault(t *testing.T) {
	addr, err := handlers.StartDebug(t.Context(), "", nil)
	if err != nil || addr != "" {
		t.Fatalf("StartDebug(\"\") = %q, %v; want nothing started", addr, err)
	}
	// Nor does the service's own router serve the profiles.
	h := newHarness(t)
	resp, err := http.Get(h.srv.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ on the service router = %d, want 404", resp.StatusCode)
	}
}

func TestDebugListenerServesProfilesAndAllocs(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, err := handlers.StartDebug(ctx, "127.0.0.1:0", nil)
	if err != nil || addr == "" {
		t.Fatalf("StartDebug = %q, %v", addr, err)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return string(b)
	}
	if body := get("/debug/pprof/"); !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ lists no goroutine profile:\n%.300s", body)
	}
	var a1, a2 handlers.Allocs
	if err := json.Unmarshal([]byte(get("/debug/allocs")), &a1); err != nil {
		t.Fatal(err)
	}
	sink = make([]byte, 1<<20)
	if err := json.Unmarshal([]byte(get("/debug/allocs")), &a2); err != nil {
		t.Fatal(err)
	}
	if a1.Objects == 0 || a2.Bytes < a1.Bytes+1<<20 {
		t.Errorf("allocs did not count a 1 MiB allocation: %+v then %+v", a1, a2)
	}
}

var sink []byte
