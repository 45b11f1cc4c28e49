package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// helperEnv makes the test binary run `leadhook serve` (TestServeHelperProcess).
const helperEnv = "LEADHOOK_TEST_HELPER_SERVE"

// TestServeHelperProcess is `leadhook serve` in a child process for the
// signal tests; it does nothing in a normal test run.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestSIGHUPDuringStartup")
	}
	gin.SetMode(gin.ReleaseMode)
	os.Exit(run(context.Background(), []string{"serve"}, &Env{
		Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv, Version: "v-test",
	}))
}

// TestSIGHUPDuringStartup: a SIGHUP that arrives while serve is still
// starting (here: preparing labels against a Deskera that has not
// answered yet) no longer kills the process (exit 129): serve comes up,
// answers, reloads the rules once serving, and exits 0 on SIGTERM.
func TestSIGHUPDuringStartup(t *testing.T) {
	fake := deskeratest.New()
	inStartup, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	deskera := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(inStartup); <-release }) // hold the first call: serve is starting
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(deskera.Close)
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before deskera.Close (cleanups run last first)

	rulesPath, err := filepath.Abs("../../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "LEADHOOK_ADDR=127.0.0.1:0", "LEADHOOK_RULES="+rulesPath,
		"DESKERA_BASE_URL="+deskera.URL, "DESKERA_ACCESS_TOKEN="+deskeratest.DefaultToken, "LEADHOOK_SHUTDOWN_TIMEOUT=5s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	logs := &syncbuf.Buffer{}
	lines := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			select {
			case lines <- struct{}{}:
			default:
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	select {
	case <-inStartup:
	case err := <-exited:
		t.Fatalf("serve exited before calling Deskera: %v\n%s\n%s", err, logs, stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve never called Deskera\n%s\n%s", logs, stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	unblock()

	// Wait (bounded, on log lines) for serve to listen and act on the SIGHUP.
	waitLog := func(what string, ok func(string) bool) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for !ok(logs.String()) {
			select {
			case <-lines:
			case err := <-exited:
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("serve died waiting for %s: %v (exit %d)\n%s\n%s", what, err, ee.ExitCode(), logs, stderr)
				}
				t.Fatalf("serve exited waiting for %s: %v\n%s\n%s", what, err, logs, stderr)
			case <-timeout:
				t.Fatalf("no %s in\n%s\n%s", what, logs, stderr)
			}
		}
	}
	waitLog("listening line", func(l string) bool { return listenAddr(l) != "" })
	addr := listenAddr(logs.String())
	if code, body := get(t, "http://"+addr+"/healthz", nil); code != http.StatusOK {
		t.Fatalf("healthz %d %s", code, body)
	}
	waitLog("reload on the early SIGHUP", func(l string) bool { return strings.Contains(l, "reloading the rules file (signal)") })

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exit after SIGTERM: %v\n%s", err, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// TestServeShutdownOverrunExits1: a request still in flight at the end
// of the shutdown timeout (here a body that never comes) is cut off;
// serve logs it at ERROR and exits 1, as the README says.
func TestServeShutdownOverrunExits1(t *testing.T) {
	base, logs, stop := startServe(t, map[string]string{"LEADHOOK_SHUTDOWN_TIMEOUT": "100ms", "LEADHOOK_BODY_TIMEOUT": "1m"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /hooks/website HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ne"); err != nil {
		t.Fatal(err)
	}
	// Bounded wait until the held request is in the router (the /metrics
	// request counts itself: 2 in flight).
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, body := get(t, base+"/metrics", nil)
		if strings.Contains(body, "leadhook_http_requests_in_flight 2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the held request never reached the router:\n%s", body)
		}
		runtime.Gosched()
	}
	if code := stop(); code != 1 {
		t.Fatalf("serve exit %d after an overrun shutdown, want 1\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"requests still in flight at the end of the shutdown timeout were cut off`) {
		t.Fatalf("no ERROR line for the cut-off requests:\n%s", logs)
	}
}

// cancelOnLine is an io.Writer that ends a context once the output holds
// a line with msg: a stop that arrives at exactly that point of start-up.
type cancelOnLine struct {
	syncbuf.Buffer
	msg    string
	cancel context.CancelFunc
}

func (w *cancelOnLine) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.Buffer.String(), w.msg) {
		w.cancel()
	}
	return n, err
}

// TestStopWhileWorkersStart: a SIGTERM that arrives between the listening
// line and the queued sources' workers starting is a clean stop (exit 0),
// not "workers did not start" (exit 1). CI once stopped a serve exactly
// there (TestServeTokenInRedis).
func TestStopWhileWorkersStart(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	api := deskeratest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnLine{msg: `"msg":"leadhook listening"`, cancel: cancel}
	vars := map[string]string{"DESKERA_BASE_URL": api.URL, "DESKERA_ACCESS_TOKEN": deskeratest.DefaultToken}
	env, _, errw := testEnv(vars)
	env.Stdout = out
	code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--rules", "../../rules.example.yaml"}, env)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s %s", code, errw.String(), out.String())
	}
	if strings.Contains(out.String(), "did not start") {
		t.Fatalf("a stop during start-up logged as a failure: %s", out.String())
	}
}
