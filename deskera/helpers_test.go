package deskera_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/syncbuf"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

const testToken = "bare-secret-token"

// setup starts a bare httptest server with a mux (the go-github pattern) and
// returns a client for it that does not rate-limit and backs off briefly.
func setup(t *testing.T, opts ...deskera.Option) (*deskera.Client, *http.ServeMux, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := []deskera.Option{
		deskera.WithBaseURL(srv.URL),
		deskera.WithAccessToken(testToken),
		deskera.WithRateLimit(0, 0),
		deskera.WithBackoff(time.Millisecond, 5*time.Millisecond),
	}
	c, err := deskera.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, mux, srv.URL
}

// newFake starts a deskeratest server and a client for it.
func newFake(t *testing.T, opts ...deskera.Option) (*deskeratest.Server, *deskera.Client) {
	t.Helper()
	srv := deskeratest.NewServer(t)
	return srv, srv.Client(opts...)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// replyBody is a canned reply: a testdata fixture when s names a .json
// file, else s itself.
func replyBody(t *testing.T, s string) []byte {
	t.Helper()
	if strings.HasSuffix(s, ".json") {
		return fixture(t, s)
	}
	return []byte(s)
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if got := r.Method; got != want {
		t.Errorf("method: got %q, want %q", got, want)
	}
}

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("header %s: got %q, want %q", name, got, want)
	}
}

// testJSONBody checks that the request body equals want as JSON.
func testJSONBody(t *testing.T, r *http.Request, want []byte) {
	t.Helper()
	got, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if len(want) == 0 {
		if len(got) != 0 {
			t.Errorf("body: got %s, want none", got)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
}

// captureLogs returns a debug-level JSON logger writing to the buffer.
func captureLogs() (*slog.Logger, *syncbuf.Buffer) {
	buf := &syncbuf.Buffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func ptr[T any](v T) *T { return &v }

// testCalls checks how many calls of the operation reached the fake.
func testCalls(t *testing.T, srv *deskeratest.Server, op string, want int) {
	t.Helper()
	if got := srv.Count(op); got != want {
		t.Errorf("%s calls: got %d, want %d", op, got, want)
	}
}
