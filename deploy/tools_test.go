package deploy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lookTool finds an external checker. Without it the test skips with a
// message, unless CI=true and .ci/run installs the tool (required), where
// it fails.
func lookTool(t *testing.T, name string, required bool, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if required && os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (CI=true: .ci/run installs it): %s", name, why)
	}
	t.Skipf("%s not installed: %s", name, why)
	return ""
}

// runTool runs a checker with input on stdin and returns its combined
// output and whether it exited 0.
func runTool(t *testing.T, stdin string, name string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...) // bounded by go test's -timeout
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), err == nil
}

// TestCfnLint lints template.yaml with cfn-lint, informational rules
// included (-c I) and failing the run (--non-zero-exit-code
// informational), so I3011 (no Retain on stateful resources) and the
// like count. A template with a known finding shows the lint is not
// vacuous. cfn-lint is not a Debian package and PyPI is not reachable
// here, so .ci/run installs it only where pip can; otherwise this skips.
func TestCfnLint(t *testing.T) {
	lint := lookTool(t, "cfn-lint", false, "pip install cfn-lint (not packaged by Debian); template.yaml is still checked by TestSAMTemplate")
	src := readRepoFile(t, "template.yaml")
	tests := []struct {
		name  string
		src   string
		clean bool
		want  string
	}{
		{name: "shipped template", src: src, clean: true},
		{name: "queue without Retain (I3011)", src: mutate(t, src, "  LeadQueue:\n    Type: AWS::SQS::Queue\n    # Retain: deleting or replacing the stack must not drop unprocessed leads\n    # (or the logs that explain them); remove it by hand once drained.\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n", "  LeadQueue:\n    Type: AWS::SQS::Queue\n"), want: "I3011"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// cfn-lint reads templates from files; the SAM transform
			// needs no other file of the repository.
			path := filepath.Join(t.TempDir(), "template.yaml")
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			out, ok := runTool(t, "", lint, "-c", "I", "--non-zero-exit-code", "informational", "--", path)
			if ok != tt.clean {
				t.Fatalf("cfn-lint -c I: clean %v, want %v:\n%s", ok, tt.clean, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("cfn-lint output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

const (
	alertRules     = "deploy/prometheus/alerts.yaml"
	alertRuleTests = "deploy/prometheus/alerts-tests.yaml"
)

var metricRe = regexp.MustCompile(`\bleadhook_[a-z_]+\b`)

// TestPromtoolRules checks the shipped alerting rules with `promtool
// check rules` and runs their unit tests (`promtool test rules`: the
// alerts fire on the failures they are about, and not on a sender's own
// faults); a broken expression and a wrong expectation show promtool is
// not vacuous.
func TestPromtoolRules(t *testing.T) {
	promtool := lookTool(t, "promtool", true, "apt-get install prometheus ships /usr/bin/promtool")
	rulesSrc, testsSrc := readRepoFile(t, alertRules), readRepoFile(t, alertRuleTests)
	tests := []struct {
		name         string
		rules, tests string
		clean        bool
		want         string
	}{
		{name: "shipped rules and tests", rules: rulesSrc, tests: testsSrc, clean: true, want: "SUCCESS"},
		{name: "broken expression", rules: mutate(t, rulesSrc, `> 0.2
        for: 10m`, `>> 0.2
        for: 10m`), tests: testsSrc, want: "parse error"},
		{name: "alert that never fires", rules: mutate(t, rulesSrc, `{cause="credentials"}[10m])) > 0`, `{cause="credentials"}[10m])) > 1000`), tests: testsSrc, want: "LeadhookCredentialsRefused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range map[string]string{"alerts.yaml": tt.rules, "alerts-tests.yaml": tt.tests} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, ok := runTool(t, "", promtool, "check", "rules", filepath.Join(dir, "alerts.yaml"))
			if ok {
				var more string
				more, ok = runTool(t, "", promtool, "test", "rules", filepath.Join(dir, "alerts-tests.yaml"))
				out += more
			}
			if ok != tt.clean {
				t.Fatalf("promtool check/test rules: clean %v, want %v:\n%s", ok, tt.clean, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("promtool output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestPromtoolCheckMetrics scrapes /metrics of a running `leadhook serve`
// (on the sandbox, after a signed lead, a bad signature and an unknown
// source, so the labelled series exist) and lints it with
// `promtool check metrics` (naming, units, help texts, counter suffixes).
// A broken exposition shows promtool is not vacuous. Debian's prometheus
// package ships promtool; .ci/run installs it.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := lookTool(t, "promtool", true, "apt-get install prometheus ships /usr/bin/promtool")
	rules, err := filepath.Abs(filepath.Join(repoRoot, "rules.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	stop := startServe(t, []string{"LEADHOOK_ADDR=" + addr, "LEADHOOK_RULES=" + rules, "LEADHOOK_LOG_LEVEL=warn"})
	if code := waitStatus(t, "http://"+addr+"/readyz", 30*time.Second); code != http.StatusOK {
		t.Fatalf("GET /readyz: %d", code)
	}
	lead := url.Values{"email": {"ada@example.com"}, "name": {"Ada"}, "budget": {"20000"}}.Encode()
	mac := hmac.New(sha256.New, []byte("dev-website-secret")) // rules.example.yaml's default
	mac.Write([]byte(lead))
	posts := []struct {
		path, sig string
		want      int
	}{
		{path: "/hooks/website", sig: "sha256=" + hex.EncodeToString(mac.Sum(nil)), want: http.StatusOK},
		{path: "/hooks/website", sig: "sha256=00", want: http.StatusUnauthorized},
		{path: "/hooks/nope", want: http.StatusNotFound},
	}
	for _, p := range posts {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+p.path, strings.NewReader(lead))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Signature", p.sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != p.want {
			t.Errorf("POST %s: %d, want %d: %s", p.path, resp.StatusCode, p.want, body)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scraped, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	stop()
	for _, name := range []string{"leadhook_events_total", "leadhook_deskera_requests_total", "leadhook_auth_failures_total"} {
		if !strings.Contains(string(scraped), "\n"+name+"{") {
			t.Errorf("scrape has no %s series: the lint would not cover it", name)
		}
	}
	// The alerting rules name only metrics /metrics serves.
	for _, name := range metricRe.FindAllString(readRepoFile(t, alertRules), -1) {
		if !strings.Contains(string(scraped), "# TYPE "+name+" ") {
			t.Errorf("%s names %s, which /metrics does not serve", alertRules, name)
		}
	}
	tests := []struct {
		name  string
		text  string
		clean bool
		want  string
	}{
		{name: "scraped /metrics", text: string(scraped), clean: true},
		{name: "counter without _total", text: "# HELP leadhook_leads Leads.\n# TYPE leadhook_leads counter\nleadhook_leads 1\n", want: "counter metrics should have \"_total\" suffix"},
		{name: "no help text", text: "# TYPE leadhook_x_total counter\nleadhook_x_total 1\n", want: "no help text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := runTool(t, tt.text, promtool, "check", "metrics")
			if ok != tt.clean {
				t.Fatalf("promtool check metrics: clean %v, want %v:\n%s", ok, tt.clean, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("promtool output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
