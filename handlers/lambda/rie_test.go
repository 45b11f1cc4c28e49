//go:build unix

package lambda_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/syncbuf"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// rieInstall is how .ci/run installs the emulator.
const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// TestBootstrapUnderRIE builds the real Lambda bootstrap, runs it under
// the AWS Lambda Runtime Interface Emulator on loopback against a fake
// Deskera, and invokes it with an HTTP API v2 event and an SQS batch.
func TestBootstrapUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap; skipped with -short")
	}
	rie, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("aws-lambda-rie is not on PATH in CI (%v); .ci/run installs it with: %s", err, rieInstall)
		}
		t.Skipf("aws-lambda-rie is not on PATH; install it with: %s", rieInstall)
	}
	bootstrap := buildBootstrap(t)
	fake := deskeratest.NewServer(t)
	rulesFile, err := filepath.Abs(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	emu := startRIE(t, rie, bootstrap, []string{
		"DESKERA_BASE_URL=" + fake.URL,
		"DESKERA_ACCESS_TOKEN=" + deskeratest.DefaultToken,
		"LEADHOOK_RULES=" + rulesFile,
		"LEADHOOK_LOG_LEVEL=info",
	})

	lead := `{"email":"grace@navy.example","name":"Grace Hopper","company":"COBOL Inc","budget":"50000"}`
	start := time.Now()
	var httpResp events.APIGatewayV2HTTPResponse
	emu.invoke(t, v2Of(httpCase{method: http.MethodPost, path: "/hooks/website", body: lead, header: signed(lead, "rie-1")}), &httpResp)
	firstInvoke := time.Since(start)
	if httpResp.StatusCode != http.StatusOK || !strings.Contains(httpResp.Body, `"outcome":"ok"`) {
		t.Fatalf("http api v2 answer %d %s, want 200 outcome ok\nemulator output:\n%s", httpResp.StatusCode, httpResp.Body, emu.out)
	}

	good := sqsRecord("rie-good", `{"email":"katherine@orbit.example","name":"Katherine Johnson","budget":"30000"}`, "queue", "arn:aws:sqs:eu-west-1:1:leads")
	bad := sqsRecord("rie-bad", `{"email": "unterminated`, "queue", "arn:aws:sqs:eu-west-1:1:leads")
	start = time.Now()
	var sqsResp events.SQSEventResponse
	emu.invoke(t, events.SQSEvent{Records: []events.SQSMessage{good, bad}}, &sqsResp)
	warmInvoke := time.Since(start)
	if got := failedIDs(sqsResp); len(got) != 1 || got[0] != "rie-bad" {
		t.Fatalf("batchItemFailures = %v, want [rie-bad]\nemulator output:\n%s", got, emu.out)
	}

	var emails []string
	for _, c := range fake.Contacts() {
		emails = append(emails, c.Email)
	}
	sort.Strings(emails)
	if want := []string{"grace@navy.example", "katherine@orbit.example"}; strings.Join(emails, ",") != strings.Join(want, ",") {
		t.Fatalf("contacts in the fake Deskera = %v, want %v", emails, want)
	}

	var sweep struct {
		Scanned int `json:"scanned"`
	}
	emu.invoke(t, json.RawMessage(fixture(t, "eventbridge-scheduled.json")), &sweep)
	if sweep.Scanned != 2 {
		t.Fatalf("scheduled sweep scanned %d contacts, want 2", sweep.Scanned)
	}
	reportTimings(t, emu.out.String(), bootstrap, firstInvoke, warmInvoke)
}

// buildBootstrap builds cmd/leadhook as the Makefile's lambda target does
// (static, stripped, the Makefile's LAMBDA_TAGS), for this machine.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc,nomsgpack,leadhook.lambda", "-trimpath", "-ldflags", "-s -w", "-o", out, "github.com/leadhook/leadhook/cmd/leadhook")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, b)
	}
	return out
}

// emulator is a running aws-lambda-rie.
type emulator struct {
	url string
	out *syncbuf.Buffer
}

// startRIE runs the emulator with the bootstrap on two loopback ports, in
// its own process group so that the bootstrap it spawns is stopped too.
func startRIE(t *testing.T, rie, bootstrap string, env []string) *emulator {
	t.Helper()
	apiAddr, runtimeAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", apiAddr, "--runtime-api-address", runtimeAddr, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TZ=UTC"}, env...)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("emulator output:\n%s", out)
		}
	})
	waitListening(t, apiAddr, out)
	return &emulator{url: "http://" + apiAddr + "/2015-03-31/functions/function/invocations", out: out}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t *testing.T, addr string, out *syncbuf.Buffer) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("aws-lambda-rie did not listen on %s\n%s", addr, out)
}

// invoke posts an event to the emulator and decodes the function's answer.
func (e *emulator) invoke(t *testing.T, event, out any) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(e.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, e.out)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errorMessage"`)) {
		t.Fatalf("invoke answered %d %s\n%s", resp.StatusCode, raw, e.out)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

var (
	initDuration = regexp.MustCompile(`Init Duration: ([0-9.]+ ms)`)
	initReport   = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
)

// reportTimings logs the init time the emulator reports and the bootstrap
// size (measurements for the record, not assertions).
func reportTimings(t *testing.T, out, bootstrap string, first, warm time.Duration) {
	t.Helper()
	var parts []string
	if m := initReport.FindStringSubmatch(out); m != nil {
		parts = append(parts, "init phase "+m[1]+" ms")
	}
	if m := initDuration.FindStringSubmatch(out); m != nil {
		parts = append(parts, "REPORT Init Duration "+m[1])
	}
	parts = append(parts, fmt.Sprintf("first invoke round trip %v, warm invoke %v", first.Round(time.Millisecond), warm.Round(time.Millisecond)))
	if fi, err := os.Stat(bootstrap); err == nil {
		parts = append(parts, fmt.Sprintf("bootstrap %s/%s %d bytes", runtime.GOOS, runtime.GOARCH, fi.Size()))
	}
	t.Log("lambda under aws-lambda-rie: " + strings.Join(parts, "; "))
}
