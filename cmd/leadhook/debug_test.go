package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers"
)

// debugAddr is the admin address serve logged for the profiling endpoint
// ("" when it logged none).
func debugAddr(logs string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && strings.HasPrefix(line.Msg, "profiling endpoint on") {
			return line.Addr
		}
	}
	return ""
}

func TestServeProfilingIsOffByDefault(t *testing.T) {
	base, logs, stop := startServe(t, nil)
	defer stop()
	if addr := debugAddr(logs.String()); addr != "" {
		t.Errorf("profiling endpoint on %s without %s", addr, handlers.EnvDebugAddr)
	}
	if code, _ := get(t, base+"/debug/pprof/", nil); code != 404 {
		t.Errorf("GET /debug/pprof/ on the service port = %d, want 404", code)
	}
}

func TestServeProfilingOnTheDebugAddr(t *testing.T) {
	base, logs, stop := startServe(t, map[string]string{handlers.EnvDebugAddr: "127.0.0.1:0"})
	defer stop()
	addr := debugAddr(logs.String())
	if addr == "" {
		t.Fatalf("no profiling endpoint line in %s", logs.String())
	}
	if code, body := get(t, "http://"+addr+"/debug/pprof/", nil); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ on %s = %d", addr, code)
	}
	if code, body := get(t, "http://"+addr+"/debug/allocs", nil); code != 200 || !strings.Contains(body, `"objects"`) {
		t.Errorf("GET /debug/allocs = %d %s", code, body)
	}
	if code, _ := get(t, base+"/debug/pprof/", nil); code != 404 {
		t.Errorf("the service port serves /debug/pprof/ too: %d", code)
	}
}
