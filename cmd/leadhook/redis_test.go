package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers/idempotency/redistest"
)

func TestRedisURLValidated(t *testing.T) {
	tests := []struct {
		name, url string
	}{
		{"WrongScheme", "http://:hunter2-secret@localhost:6379/0"},
		{"BadDB", "redis://:hunter2-secret@localhost:6379/notanumber"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, _, errw := testEnv(map[string]string{"LEADHOOK_REDIS_URL": tc.url})
			if code := run(context.Background(), []string{"serve"}, env); code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, errw.String())
			}
			if msg := errw.String(); !strings.Contains(msg, "LEADHOOK_REDIS_URL") || strings.Contains(msg, "hunter2") {
				t.Fatalf("stderr = %q: want the variable named and the password hidden", msg)
			}
		})
	}
}

// TestServeWithRedis: LEADHOOK_REDIS_URL wires the shared store; a
// replayed delivery is answered from it.
func TestServeWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	base, logs, stop := startServe(t, map[string]string{"LEADHOOK_REDIS_URL": srv.URL()})
	defer stop()
	if !strings.Contains(logs.String(), "idempotency store: redis") {
		t.Fatalf("no redis store line in %s", logs.String())
	}
	form := "name=Jane+Doe&email=jane%40acme.io&budget=15000"
	m := hmac.New(sha256.New, []byte("dev-website-secret"))
	m.Write([]byte(form))
	post := func() *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+"/hooks/website", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
		req.Header.Set("Idempotency-Key", "delivery-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post(); r.StatusCode != 200 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v", r.StatusCode, r.Header)
	}
	if r := post(); r.StatusCode != 200 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v", r.StatusCode, r.Header)
	}
	srv.Stop()
	if r := post(); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("redis down: %d %v, want 503 with Retry-After", r.StatusCode, r.Header)
	}
}
