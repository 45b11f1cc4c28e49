package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/internal/syncbuf"

	"github.com/gin-gonic/gin"
)

func testEnv(vars map[string]string) (*Env, *syncbuf.Buffer, *syncbuf.Buffer) {
	out, errw := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	return &Env{
		Stdout: out, Stderr: errw, Version: "v-test",
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
	}, out, errw
}

func TestHelpListsEveryFlagAndVariable(t *testing.T) {
	env, out, _ := testEnv(nil)
	if code := run(context.Background(), []string{"--help"}, env); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range settings() {
		if !strings.Contains(out.String(), "--"+s.flag) || !strings.Contains(out.String(), s.env) {
			t.Errorf("--help lacks --%s / %s", s.flag, s.env)
		}
	}
	for name := range commands() {
		if !strings.Contains(out.String(), "  "+name+" ") {
			t.Errorf("--help lacks the %s command", name)
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	env, out, _ := testEnv(nil)
	if code := run(context.Background(), []string{"version"}, env); code != 0 || !strings.HasPrefix(out.String(), "leadhook v-test") {
		t.Fatalf("version: exit %d, %q", code, out.String())
	}
	env, _, errw := testEnv(nil)
	if code := run(context.Background(), []string{"frobnicate"}, env); code != 2 || !strings.Contains(errw.String(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: exit %d, %q", code, errw.String())
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"HalfSetOAuth", nil, map[string]string{"DESKERA_CLIENT_ID": "id", "DESKERA_CLIENT_SECRET": "s"}, "needs all of DESKERA_CLIENT_ID, DESKERA_CLIENT_SECRET and DESKERA_REFRESH_TOKEN"},
		{"BadAddr", []string{"--addr", "8080"}, nil, `--addr/LEADHOOK_ADDR "8080" is not a host:port`},
		{"BadMaxBodyEnv", nil, map[string]string{"LEADHOOK_MAX_BODY": "1MB"}, `--max-body/LEADHOOK_MAX_BODY "1MB": want a positive integer`},
		{"BadTTL", []string{"--dedupe-ttl=forever"}, nil, `LEADHOOK_DEDUPE_TTL "forever"`},
		{"BadLevel", nil, map[string]string{"LEADHOOK_LOG_LEVEL": "loud"}, `LEADHOOK_LOG_LEVEL "loud"`},
		{"NegativeLogFlush", nil, map[string]string{"LEADHOOK_LOG_FLUSH": "-1s"}, `--log-flush/LEADHOOK_LOG_FLUSH "-1s": want a non-negative duration such as 100ms or 0`},
		{"BadProxies", nil, map[string]string{"LEADHOOK_TRUSTED_PROXIES": "10.0.0.0/8,nope"}, `"nope" is not an IP address or CIDR`},
		{"UnknownFlag", []string{"--colour"}, nil, "flag provided but not defined: -colour"},
		{"MissingRules", []string{"--rules", "testdata/none.yaml"}, nil, "testdata/none.yaml"},
		{"BadRules", []string{"--rules", "testdata/bad-rules.yaml"}, nil, "bad-rules.yaml:"},
		{"FlagBeatsEnv", []string{"--addr", "nope"}, map[string]string{"LEADHOOK_ADDR": ":9999"}, `"nope" is not a host:port`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, _, errw := testEnv(tc.vars)
			code := run(context.Background(), append([]string{"serve"}, tc.args...), env)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, errw.String())
			}
			msg := errw.String()
			if !strings.HasPrefix(msg, "leadhook: ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("stderr = %q, want it to contain %q", msg, tc.want)
			}
		})
	}
}

func TestConfigFlagsOverEnvOverDefaults(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"LEADHOOK_ADDR": "127.0.0.1:9000", "LEADHOOK_MAX_BODY": "2048", "DESKERA_ACCESS_TOKEN": "tok"})
	cfg, err := parseConfig("serve", []string{"--max-body", "4096"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9000" || cfg.MaxBody != 4096 || cfg.DedupeTTL != 24*time.Hour || cfg.Sandbox() {
		t.Fatalf("cfg = %+v", cfg)
	}
}

// startServe runs `leadhook serve` on a free port and returns its base URL
// and a stop function returning the exit code.
func startServe(t *testing.T, vars map[string]string) (string, *syncbuf.Buffer, func() int) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	env, out, errw := testEnv(vars)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--rules", "../../rules.example.yaml"}, env)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if addr := listenAddr(out.String()); addr != "" {
			return "http://" + addr, out, func() int { cancel(); return <-done }
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s %s", code, errw.String(), out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start: %s", out.String())
	return "", nil, nil
}

func listenAddr(logs string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "leadhook listening" {
			return line.Addr
		}
	}
	return ""
}

func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeOnSandbox(t *testing.T) {
	base, logs, stop := startServe(t, nil)
	if !strings.Contains(logs.String(), "SANDBOX MODE") {
		t.Errorf("no loud sandbox line in %s", logs.String())
	}
	if code, body := get(t, base+"/readyz", nil); code != 200 {
		t.Fatalf("readyz %d %s", code, body)
	}
	// The README walkthrough: a signed form post with the example's dev secret.
	resp := postWalkthroughForm(t, base)
	if resp.StatusCode != 200 {
		t.Fatalf("form post answered %d", resp.StatusCode)
	}
	code, body := get(t, base+"/sandbox/v1/crm/contacts", map[string]string{"x-access-token": "test-token"})
	if code != 200 || !strings.Contains(body, `"email":"jane@acme.io"`) || !strings.Contains(body, `"owner_id"`) {
		t.Fatalf("sandbox contacts %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics", nil); code != 200 || !strings.Contains(body, `leadhook_events_total{outcome="ok",source="website"} 1`) {
		t.Fatalf("metrics %d", code)
	}
	_, metrics := get(t, base+"/metrics", nil)
	for _, want := range []string{
		`leadhook_build_info{goversion="` + runtime.Version() + `",revision="`,
		`",version="v-test"} 1`,
		`leadhook_delivery_duration_seconds_count{source="website"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	env, _, errw := testEnv(nil)
	if code := run(context.Background(), []string{"healthcheck", "--addr", strings.TrimPrefix(base, "http://")}, env); code != 0 {
		t.Fatalf("healthcheck exit %d: %s", code, errw.String())
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d after shutdown", code)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop logged")
	}
	env, _, _ = testEnv(nil)
	if code := run(context.Background(), []string{"healthcheck", "--addr", strings.TrimPrefix(base, "http://")}, env); code != 1 {
		t.Fatalf("healthcheck of a stopped server exit %d, want 1", code)
	}
}

// TestServeLogFlush: serve's info lines wait for the flush interval (or
// the shutdown) and go out together; LEADHOOK_LOG_FLUSH=0 writes each at
// once. The event line is logged before the answer is sent, so right
// after the answer it is either there (0) or kept (an interval no test
// waits for); after the shutdown it is there either way.
func TestServeLogFlush(t *testing.T) {
	tests := []struct {
		name       string
		flush      string
		wantAtOnce bool
	}{
		{name: "0: every line at once", flush: "0", wantAtOnce: true},
		{name: "an interval: kept until the shutdown", flush: "1h", wantAtOnce: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, logs, stop := startServe(t, map[string]string{"LEADHOOK_LOG_FLUSH": tt.flush})
			if resp := postWalkthroughForm(t, base); resp.StatusCode != 200 {
				t.Fatalf("form post answered %d", resp.StatusCode)
			}
			const event = `"msg":"event"`
			if got := strings.Contains(logs.String(), event); got != tt.wantAtOnce {
				t.Errorf("event line written before the shutdown: %v, want %v", got, tt.wantAtOnce)
			}
			if code := stop(); code != 0 {
				t.Fatalf("serve exit %d", code)
			}
			if !strings.Contains(logs.String(), event) || !strings.Contains(logs.String(), `"msg":"stopped"`) {
				t.Errorf("the shutdown did not write out the kept lines: %s", logs.String())
			}
		})
	}
}

// TestServeStartupErrorAfterItsLogLines: a start-up failure (the port is
// taken) is printed on stderr after the info lines logged before it,
// which serve keeps for a batch: on one stream, as a container's log
// shows both, the error comes last.
func TestServeStartupErrorAfterItsLogLines(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env, _, _ := testEnv(map[string]string{"LEADHOOK_LOG_FLUSH": "1h"})
	both := &syncbuf.Buffer{}
	env.Stdout, env.Stderr = both, both
	if code := run(context.Background(), []string{"serve", "--addr", ln.Addr().String(), "--rules", "../../rules.example.yaml"}, env); code != 1 {
		t.Fatalf("serve on a taken port: exit %d, want 1: %s", code, both.String())
	}
	lines := strings.Split(strings.TrimSuffix(both.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "leadhook: listen tcp") {
		t.Errorf("the last line is %q, want the listen error after the log lines:\n%s", last, both.String())
	}
	if !strings.Contains(both.String(), `"level":"INFO"`) {
		t.Errorf("no info line was logged before the error:\n%s", both.String())
	}
}

// TestEverySubcommandHelp: -h and --help print the subcommand's usage on
// stdout and exit 0, for every subcommand, whatever the environment
// (lambda outside Lambda, sweep without credentials).
func TestEverySubcommandHelp(t *testing.T) {
	for name := range commands() {
		for _, flag := range []string{"-h", "--help", "-help"} {
			t.Run(name+" "+flag, func(t *testing.T) {
				env, out, errw := testEnv(map[string]string{"LEADHOOK_RULES": "../../rules.example.yaml"})
				code := run(context.Background(), []string{name, flag}, env)
				if code != 0 {
					t.Errorf("exit %d, want 0; stderr %q", code, errw.String())
				}
				if want := "Usage: leadhook " + name; !strings.HasPrefix(out.String(), want) {
					t.Errorf("stdout = %q, want it to start with %q", out.String(), want)
				}
				if errw.String() != "" {
					t.Errorf("stderr = %q, want nothing", errw.String())
				}
			})
		}
	}
}

// walkthroughForm is the README walkthrough's lead: 90 points, Hot lead.
const walkthroughForm = "name=Jane+Doe&email=jane%40acme.io&phone=%2B1+555+0100&company=Acme&budget=15000&message=Please+send+pricing"

// postWalkthroughForm posts the README walkthrough's lead to base, signed
// with the example's dev secret, and returns the answer (body closed).
func postWalkthroughForm(t *testing.T, base string) *http.Response {
	t.Helper()
	return postSignedForm(t, base, walkthroughForm, nil)
}

// postSignedForm posts form to the website source of base, signed with
// the example's dev secret, with further headers, and returns the answer
// (body closed).
func postSignedForm(t *testing.T, base, form string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/hooks/website", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Signature", "sha256="+handlerstest.HexHMAC("dev-website-secret", form))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// newServeApp wires the app serve would from vars (the Env's variables),
// with discarded logs; the test fails when the wiring does.
func newServeApp(t *testing.T, vars map[string]string) *app {
	t.Helper()
	env, _, _ := testEnv(vars)
	cfg, err := parseConfig("serve", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// writeFile writes content to path or fails the test.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
