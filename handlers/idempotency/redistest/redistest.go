// Package redistest starts a throwaway redis-server (from PATH) on a
// random loopback port for tests. Without redis-server the test is
// skipped with a message, unless CI=true, where it fails.
package redistest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	Addr string

	tb   testing.TB
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// Start runs redis-server with persistence off; it is stopped when tb's
// test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("redis-server is not installed (CI=true: .ci/run installs it)")
		}
		tb.Skip("redis-server is not installed; install it (apt-get install redis-server) to run the shared-store tests")
	}
	s := &Server{tb: tb, port: freePort(tb)}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (s *Server) start() {
	s.tb.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	s.waitReady()
}

func (s *Server) waitReady() {
	s.tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	var err error
	// Bounded by the clock, not by a count of refused pings (5 s when each
	// fails at once), so a slow start on a loaded machine still passes.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
	}
	s.tb.Fatalf("redis-server on %s not ready: %v", s.Addr, err)
}

// Client returns a client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	// Timeouts a loaded machine cannot reach: a stopped server refuses
	// the connection at once, so "Redis down" is still seen at once.
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 10 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetries: 1})
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Store returns an idempotency store on the server (a new client, closed
// when the test ends); options the store refuses fail the test.
func (s *Server) Store(opts ...idempotency.RedisOption) *idempotency.Redis {
	s.tb.Helper()
	st, err := idempotency.NewRedis(s.Client(), opts...)
	if err != nil {
		s.tb.Fatalf("redistest: idempotency store: %v", err)
	}
	return st
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return fmt.Sprintf("redis://%s/0", s.Addr) }

// Stop kills the server (Redis down); Restart brings it back empty.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts a stopped server again on the same port (empty).
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}
