package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/idempotency"
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
	post := func() *http.Response {
		return postSignedForm(t, base, form, map[string]string{"Idempotency-Key": "delivery-1"})
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

// TestServeSharesContactState: with LEADHOOK_REDIS_URL the engine reads
// the settle window from Redis: a create of jane another replica lost a
// moment ago (its mark in Redis) is not made again here (503), where the
// in-memory default would create her.
func TestServeSharesContactState(t *testing.T) {
	srv := redistest.Start(t)
	sum := sha256.Sum256([]byte("jane@acme.io"))
	key := idempotency.DefaultContactPrefix + hex.EncodeToString(sum[:]) + ":unsettled"
	if err := srv.Client().Set(context.Background(), key, strconv.FormatInt(time.Now().UnixNano(), 10), time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	base, _, stop := startServe(t, map[string]string{"LEADHOOK_REDIS_URL": srv.URL()})
	defer stop()
	resp := postWalkthroughForm(t, base)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d %v, want 503 + Retry-After (an unsettled create in the shared state)", resp.StatusCode, resp.Header)
	}
}
