package reload_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/syncbuf"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/reload"
)

// rulesFile is a valid rules file whose single rule is called name.
func rulesFile(name string) string {
	return fmt.Sprintf(`sources:
  web: {format: json, auth: {type: none}}
rules:
  - name: %s
    when: 'event.email != ""'
    actions:
      - assign_label: Hot lead
labels: [Hot lead]
`, name)
}

const badFile = `rules:
  - name: broken
    when: 'event.emial != ""'
    actions:
      - assign_label: Nope
`

// ruleName is the name of the (single) rule of the current set.
func ruleName(r *reload.Reloader) string {
	rs := r.Current().Rules()
	if len(rs) == 0 {
		return ""
	}
	return rs[0].Name
}

// waitFor polls cond until it holds or a generous deadline passes (file
// events are asynchronous; this is not a speed assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type harness struct {
	r    *reload.Reloader
	reg  *prometheus.Registry
	logs *syncbuf.Buffer
	hup  chan os.Signal
}

// start builds a Reloader on path and runs it until the test ends.
func start(t *testing.T, path string, opts ...reload.Option) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), logs: &syncbuf.Buffer{}, hup: make(chan os.Signal, 1)}
	opts = append([]reload.Option{
		reload.WithRegisterer(h.reg), reload.WithSignals(h.hup), reload.WithDebounce(20 * time.Millisecond),
		reload.WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))),
	}, opts...)
	r, err := reload.New(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, "the watch to start", func() bool { return strings.Contains(h.logs.String(), "watching the rules file") })
	return h
}

func (h *harness) count(result string) float64 {
	c, err := h.reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range c {
		if mf.GetName() != "leadhook_rules_reload_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func TestReloadOnRenameOnSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write(t, path, rulesFile("first"))
	h := start(t, path)
	if got := ruleName(h.r); got != "first" {
		t.Fatalf("initial rule %q", got)
	}
	// What vim, VS Code and most editors do: write a new file, rename it
	// over the old one.
	tmp := filepath.Join(dir, ".rules.yaml.swp")
	saveByRename := func(content string) {
		t.Helper()
		write(t, tmp, content)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	saveByRename(rulesFile("second"))
	waitFor(t, "the renamed file to load", func() bool { return ruleName(h.r) == "second" })
	if n := h.count(reload.ResultSuccess); n != 1 {
		t.Errorf("success count %v, want 1", n)
	}
	// An unrelated file in the folder does not reload an unchanged file.
	write(t, filepath.Join(dir, "notes.txt"), "x")
	saveByRename(rulesFile("third"))
	waitFor(t, "the third version", func() bool { return ruleName(h.r) == "third" })
	if n := h.count(reload.ResultSuccess); n != 2 {
		t.Errorf("success count %v, want 2 (an unchanged file must not reload)", n)
	}
}

// TestReloadOnConfigMapSymlinkSwap mimics how the kubelet updates a
// mounted ConfigMap: rules.yaml -> ..data/rules.yaml, ..data ->
// ..<timestamp>; an update writes a new timestamped folder and renames a
// new ..data symlink over the old one.
func TestReloadOnConfigMapSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	version := func(name, content string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name, "rules.yaml"), content)
	}
	version("..2026_11_26_10_00_00.1", rulesFile("v1"))
	must(t, os.Symlink("..2026_11_26_10_00_00.1", filepath.Join(dir, "..data")))
	must(t, os.Symlink("..data/rules.yaml", filepath.Join(dir, "rules.yaml")))
	h := start(t, filepath.Join(dir, "rules.yaml"))
	if got := ruleName(h.r); got != "v1" {
		t.Fatalf("initial rule %q", got)
	}
	version("..2026_11_26_10_05_00.2", rulesFile("v2"))
	must(t, os.Symlink("..2026_11_26_10_05_00.2", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	must(t, os.RemoveAll(filepath.Join(dir, "..2026_11_26_10_00_00.1")))
	waitFor(t, "the swapped ConfigMap to load", func() bool { return ruleName(h.r) == "v2" })
	if n := h.count(reload.ResultFailure); n != 0 {
		t.Errorf("failure count %v, want 0", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBadFileKeepsTheOldRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write(t, path, rulesFile("good"))
	h := start(t, path)
	before := h.r.Current()
	write(t, path, badFile)
	waitFor(t, "the failure to be counted", func() bool { return h.count(reload.ResultFailure) == 1 })
	if h.r.Current() != before {
		t.Fatal("a bad file replaced the rules in force")
	}
	st := h.r.Status()
	if st.Failures != 1 || len(st.LastError) != 2 {
		t.Fatalf("status %+v, want 1 failure with 2 problems", st)
	}
	for _, want := range []string{"emial", "Nope"} {
		if !strings.Contains(strings.Join(st.LastError, "\n"), want) || !strings.Contains(h.logs.String(), want) {
			t.Errorf("status and log should name %q; status %q", want, st.LastError)
		}
	}
	// Fixing the file recovers and clears the error.
	write(t, path, rulesFile("fixed"))
	waitFor(t, "the fixed file", func() bool { return ruleName(h.r) == "fixed" })
	if st := h.r.Status(); st.LastError != nil || st.Successes != 1 {
		t.Errorf("after the fix: %+v", st)
	}
	ts := gauge(t, h.reg, "leadhook_rules_last_reload_success_timestamp_seconds")
	if ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success timestamp %v is not recent", ts)
	}
}

// gauge reads a registered gauge's value.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestSignalForcesReloadAndApplyCanReject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write(t, path, rulesFile("one"))
	var reject sync.Map
	h := start(t, path, reload.WithApply(func(_ context.Context, set *rules.Set) error {
		if _, no := reject.Load(set.Rules()[0].Name); no {
			return errors.New("label \"Hot lead\" is missing in Deskera")
		}
		return nil
	}))
	h.hup <- os.Interrupt
	waitFor(t, "the forced reload", func() bool { return h.count(reload.ResultSuccess) == 1 })
	reject.Store("two", true)
	must(t, os.WriteFile(path, []byte(rulesFile("two")), 0o644))
	waitFor(t, "the rejected reload", func() bool { return h.count(reload.ResultFailure) == 1 })
	if got := ruleName(h.r); got != "one" {
		t.Errorf("rule %q in force, want one (apply rejected two)", got)
	}
	if st := h.r.Status(); len(st.LastError) != 1 || !strings.Contains(st.LastError[0], "missing in Deskera") {
		t.Errorf("status %+v", st)
	}
}

func TestNewValidates(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	write(t, bad, badFile)
	tests := []struct {
		name string
		path string
		opts []reload.Option
		want string
	}{
		{"empty path", "", nil, "empty rules file path"},
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, "no such file"},
		{"invalid file", bad, nil, `has no field "emial"`},
		{"bad debounce", bad, []reload.Option{reload.WithDebounce(0)}, "debounce"},
		{"nil logger", bad, []reload.Option{reload.WithLogger(nil)}, "nil logger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reload.New(tt.path, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// TestReloadRejectsWhatLoadRejects: each file that used to load and then
// fail on every event is refused by a reload; the old rules stay.
func TestReloadRejectsWhatLoadRejects(t *testing.T) {
	const tail = "    actions:\n      - delete_contact: {}\n"
	tests := []struct {
		name, file, want string
	}{
		{"unquoted has", "rules:\n  - name: x\n    when: 'has(coupon)'\n" + tail, `unknown name "coupon"`},
		{"unquoted field", "rules:\n  - name: x\n    when: 'field(budget) != \"\"'\n" + tail, `unknown name "budget"`},
		{"visibility not in the enum", "rules:\n  - name: x\n    when: 'true'\n    actions:\n      - set_visibility: 42\n", `not "42"`},
		{"empty file (one being written)", "", "the rules file is empty"},
		{"score with a string branch", "scores:\n  s: 'event.kind == \"form\" ? 5 : \"five\"'\nrules:\n  - name: x\n    when: 'true'\n" + tail, `must be a number in every branch`},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write(t, path, rulesFile("good"))
	h := start(t, path)
	before := h.r.Current()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, path, tt.file)
			h.hup <- os.Interrupt
			waitFor(t, "the reload to fail naming "+tt.want, func() bool {
				return strings.Contains(strings.Join(h.r.Status().LastError, "\n"), tt.want)
			})
			if h.r.Current() != before {
				t.Fatal("a file load rejects replaced the rules in force")
			}
		})
	}
}
