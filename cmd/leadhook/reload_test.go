package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// versionedRules is a rules file whose only rule is named after version.
func versionedRules(version int) string {
	label := []string{"Hot lead", "Warm lead"}[version%2]
	return fmt.Sprintf(`labels: [Hot lead, Warm lead]
sources:
  web: {format: json, auth: {type: none}}
rules:
  - name: rule-v%d
    when: 'event.email != ""'
    actions:
      - upsert_contact: {set: {email: event.email}}
      - assign_label: %s
`, version, label)
}

// TestNoRequestFailsDuring100Reloads serves the real router over HTTP
// while the rules file is replaced (rename-on-save) and reloaded 100
// times; every request must succeed and be decided by exactly one
// version of the rules.
func TestNoRequestFailsDuring100Reloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	writeFile(t, path, versionedRules(0))
	a := newServeApp(t, map[string]string{"LEADHOOK_RULES": path, "LEADHOOK_ADDR": "127.0.0.1:0", "DESKERA_RATE_LIMIT": "0"})
	srv := httptest.NewServer(a.router)
	defer srv.Close()

	var sent, done, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				if msg := post(srv.URL, fmt.Sprintf("w%d-%d@acme.io", w, i)); msg != "" {
					failed.Add(1)
					t.Error(msg)
				}
				done.Add(1)
			}
		}()
	}
	for v := 1; v <= 100; v++ {
		// Let requests complete between reloads, so that they overlap.
		for done.Load() < int64(2*v) {
			runtime.Gosched()
		}
		tmp := filepath.Join(dir, ".rules.yaml.tmp")
		if err := os.WriteFile(tmp, []byte(versionedRules(v)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		if err := a.reloader.Reload(t.Context()); err != nil {
			t.Fatalf("reload %d: %v", v, err)
		}
	}
	close(stop)
	wg.Wait()
	if got := a.svc.Rules().Rules()[0].Name; got != "rule-v100" {
		t.Errorf("rules in force: %q, want rule-v100", got)
	}
	if st := a.reloader.Status(); st.Successes != 100 || st.Failures != 0 {
		t.Errorf("status %+v, want 100 successes", st)
	}
	if failed.Load() > 0 || sent.Load() < 100 {
		t.Fatalf("%d of %d requests failed", failed.Load(), sent.Load())
	}
	t.Logf("%d requests during 100 reloads, none failed", sent.Load())
}

// post sends one event and returns what is wrong with the answer ("" if
// nothing): it must be 200 and matched by exactly one rule version.
func post(base, email string) string {
	body, _ := json.Marshal(map[string]string{"email": email})
	resp, err := http.Post(base+"/hooks/web", "application/json", bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var got struct {
		Matched []string `json:"matched"`
		Error   string   `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return fmt.Sprintf("%s: %v", email, err)
	}
	if resp.StatusCode != http.StatusOK || len(got.Matched) != 1 {
		return fmt.Sprintf("%s: status %d, matched %v, error %q", email, resp.StatusCode, got.Matched, got.Error)
	}
	return ""
}

// TestReadyzShowsReloadStatus: a bad file keeps the service ready on the
// old rules and /readyz says so.
func TestReadyzShowsReloadStatus(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	writeFile(t, path, versionedRules(1))
	a := newServeApp(t, map[string]string{"LEADHOOK_RULES": path, "LEADHOOK_ADDR": "127.0.0.1:0"})
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	if err := os.WriteFile(path, []byte("rules: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.reloader.Reload(context.Background()); err == nil {
		t.Fatal("a broken file reloaded")
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Status string `json:"status"`
		Rules  struct {
			Rules     int      `json:"rules"`
			Failures  int      `json:"reload_failures"`
			LastError []string `json:"last_error"`
		} `json:"rules"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || got.Status != "ready" || got.Rules.Rules != 1 || got.Rules.Failures != 1 || len(got.Rules.LastError) != 1 {
		t.Errorf("readyz %d %+v", resp.StatusCode, got)
	}
	metrics, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer metrics.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(metrics.Body)
	if !bytes.Contains(b.Bytes(), []byte(`leadhook_rules_reload_total{result="failure"} 1`)) {
		t.Error("/metrics lacks the failed reload")
	}
}

// TestRulesVariablesComeFromTheInjectedEnv: serve and the reloader resolve
// ${VAR} in the rules file through the Env the command was given, as
// sweep, eval and validate do, never the process environment.
func TestRulesVariablesComeFromTheInjectedEnv(t *testing.T) {
	const name = "LEADHOOK_TEST_ONLY_IN_ENV"
	if _, ok := os.LookupEnv(name); ok {
		t.Fatalf("%s is set in the process environment", name)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	file := func(token string) string {
		return "sources:\n  web: {format: json, auth: {type: token, token: \"${" + token + "}\"}}\nrules: []\n"
	}
	writeFile(t, path, file(name))
	a := newServeApp(t, map[string]string{"LEADHOOK_RULES": path, "LEADHOOK_ADDR": "127.0.0.1:0", name: "s3cret", name + "_2": "other"})
	writeFile(t, path, file(name+"_2"))
	if err := a.reloader.Reload(t.Context()); err != nil {
		t.Fatalf("the reloader does not see the Env's %s_2: %v", name, err)
	}
}
