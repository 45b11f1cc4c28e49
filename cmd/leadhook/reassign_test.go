package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// reassignFake is a Deskera fake with n contacts of owner 5555 and one of
// owner 17826, and the variables that point leadhook at it.
func reassignFake(t *testing.T, n int, dataDir string) (*deskeratest.Server, map[string]string) {
	t.Helper()
	srv := deskeratest.NewServer(t)
	for i := range n {
		srv.AddContact(deskera.Contact{Name: "R", Email: fmt.Sprintf("rep%d@acme.io", i), OwnerID: 5555})
	}
	srv.AddContact(deskera.Contact{Name: "Keep", Email: "keep@acme.io", OwnerID: 17826})
	srv.ResetCounts()
	vars := map[string]string{"DESKERA_BASE_URL": srv.URL, "DESKERA_ACCESS_TOKEN": deskeratest.DefaultToken,
		"LEADHOOK_RULES": "../../rules.example.yaml"}
	if dataDir != "" {
		vars["LEADHOOK_DATA_DIR"] = dataDir
	}
	return srv, vars
}

func owned(srv *deskeratest.Server, owner deskera.ID) int {
	n := 0
	for _, c := range srv.Contacts() {
		if c.OwnerID == owner {
			n++
		}
	}
	return n
}

// TestReassignCommand: the command's flags, exit codes and summary, on a
// Deskera API over HTTP; a dry run and every refused invocation write nothing.
func TestReassignCommand(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		stdout  []string
		stderr  []string
		left    int // contacts still owned by 5555
		writes  bool
		dataDir bool
	}{
		{name: "help", args: []string{"--help"}, code: 0, stdout: []string{"Usage: leadhook reassign --from-owner ID (--pool NAME | --to-owner ID)"}, left: 30},
		{name: "short help", args: []string{"-h"}, code: 0, stdout: []string{"--resume"}, left: 30},
		{name: "to the sales pool", args: []string{"--from-owner", "5555", "--pool", "sales"}, code: 0, writes: true,
			stdout: []string{row("contacts seen", 31), row("owned by 5555, matching", 30), row("reassigned", 30), "new owner", "API calls made:"},
			stderr: []string{"reassign: page 1, 31 contacts seen, 30 to reassign"}},
		{name: "to one owner, narrowed", args: []string{"--from-owner=5555", "--to-owner=2675", `--when=contact.email endsWith "1@acme.io"`}, code: 0, writes: true, left: 27,
			stdout: []string{row("reassigned", 3), "  2675                        3\n", "contacts.bulk_update 1"}},
		{name: "dry run", args: []string{"--from-owner", "5555", "--pool", "enterprise", "--dry-run"}, code: 0, left: 30,
			stdout: []string{"(dry run: nothing was changed)", row("would be reassigned", 30), "bulk updates a real reassign would send: 2"}},
		{name: "no from owner", args: []string{"--pool", "sales"}, code: 2, left: 30, stderr: []string{"--from-owner ID is required"}},
		{name: "no target", args: []string{"--from-owner", "5555"}, code: 2, left: 30, stderr: []string{"give --pool NAME"}},
		{name: "both targets", args: []string{"--from-owner", "5555", "--pool", "sales", "--to-owner", "1"}, code: 2, left: 30, stderr: []string{"not both"}},
		{name: "bad owner id", args: []string{"--from-owner", "abc", "--pool", "sales"}, code: 2, left: 30, stderr: []string{`--from-owner "abc"`}},
		{name: "unknown pool", args: []string{"--from-owner", "5555", "--pool", "sale"}, code: 2, left: 30, stderr: []string{`owner pool "sale" is not declared under owners; did you mean "sales"?`}},
		{name: "bad when", args: []string{"--from-owner", "5555", "--pool", "sales", "--when", "contact.nope == 1"}, code: 2, left: 30, stderr: []string{"when"}},
		{name: "resume without a data dir", args: []string{"--from-owner", "5555", "--pool", "sales", "--resume"}, code: 2, left: 30, stderr: []string{"--resume needs LEADHOOK_DATA_DIR"}},
		{name: "resume a dry run", args: []string{"--from-owner", "5555", "--pool", "sales", "--resume", "--dry-run"}, code: 2, left: 30, dataDir: true, stderr: []string{"do not go together"}},
		{name: "resume with nothing to resume", args: []string{"--from-owner", "5555", "--pool", "sales", "--resume"}, code: 0, writes: true, dataDir: true, stderr: []string{"nothing to resume"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := ""
			if tc.dataDir {
				dir = t.TempDir()
			}
			srv, vars := reassignFake(t, 30, dir)
			env, out, errw := testEnv(vars)
			code := run(context.Background(), append([]string{"reassign"}, tc.args...), env)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errw)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errw.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errw)
				}
			}
			if got := srv.Count("contacts.bulk_update") > 0; got != tc.writes || owned(srv, 5555) != tc.left {
				t.Errorf("bulk PATCHes %d (want some: %v), %d left with 5555 (want %d)", srv.Count("contacts.bulk_update"), tc.writes, owned(srv, 5555), tc.left)
			}
			if srv.Count("contacts.update") != 0 {
				t.Errorf("single PATCHes sent: %v", srv.Counts())
			}
			if owned(srv, 17826) < 1 {
				t.Error("the contact of another owner was reassigned")
			}
		})
	}
}

// TestReassignCommandResume: a reassign the fake fails half way exits 1,
// leaves its state and says how to go on; --resume completes it with a
// summary of both runs and removes the state; the state of another run
// is refused.
func TestReassignCommandResume(t *testing.T) {
	dir := t.TempDir()
	srv, vars := reassignFake(t, 450, dir)
	args := []string{"reassign", "--from-owner", "5555", "--pool", "sales", "--page-size", "100"}
	srv.FailOpAfter("contacts.bulk_update", 3, 1, http.StatusBadRequest)
	env, out, errw := testEnv(vars)
	if code := run(context.Background(), args, env); code != 1 {
		t.Fatalf("first run: exit %d, want 1\n%s\n%s", code, out, errw)
	}
	state := filepath.Join(dir, "leadhook-reassign.state.json")
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	if !strings.Contains(errw.String(), "add --resume to continue") || owned(srv, 5555) == 0 || owned(srv, 5555) == 450 {
		t.Fatalf("first run should fail half way and say how to resume (%d left):\n%s", owned(srv, 5555), errw)
	}

	env, out, errw = testEnv(vars)
	if code := run(context.Background(), []string{"reassign", "--from-owner", "5555", "--to-owner", "2675", "--resume"}, env); code != 2 || !strings.Contains(errw.String(), "not `leadhook reassign --from-owner 5555 --to-owner 2675`") {
		t.Errorf("resume of other parameters: exit %d\n%s", code, errw)
	}

	env, out, errw = testEnv(vars)
	if code := run(context.Background(), append(args, "--resume"), env); code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errw)
	}
	if owned(srv, 5555) != 0 {
		t.Errorf("%d contacts left with 5555", owned(srv, 5555))
	}
	set, err := rules.LoadFile("../../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sales, ok := set.Pool("sales")
	if !ok {
		t.Fatal("no pool \"sales\"")
	}
	want := map[int64]int{}
	for i := range 450 {
		want[rules.Route(sales.Owners, fmt.Sprintf("rep%d@acme.io", i))]++
	}
	summary := []string{row("contacts seen", 451), row("reassigned", 450), fmt.Sprintf("calls in all, with the run(s) resumed: %d\n", srv.Total())}
	for id, n := range want {
		summary = append(summary, fmt.Sprintf("  %-20d %8d\n", id, n))
	}
	for _, s := range summary {
		if !strings.Contains(out.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, out)
		}
	}
	if !strings.Contains(errw.String(), "resuming after page") {
		t.Errorf("stderr: %s", errw)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file left after a completed run: %v", err)
	}
}

// row is a line of the reassign summary table.
func row(label string, n int) string { return fmt.Sprintf("  %-28s %8d\n", label, n) }

// TestLambdaScheduledReassignResumes: a scheduled reassign on Lambda that
// fails half way leaves its state in LEADHOOK_DATA_DIR, and the retry of
// the same event resumes from it (nobody passes --resume to a schedule):
// every contact moved, the result counting both attempts, the state gone.
func TestLambdaScheduledReassignResumes(t *testing.T) {
	dir := t.TempDir()
	srv, vars := reassignFake(t, 450, dir)
	env, _, _ := testEnv(vars)
	cfg, err := parseConfig("lambda", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	a, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newLambdaHandler(a, log)
	if err != nil {
		t.Fatal(err)
	}
	ev := json.RawMessage(`{"version":"0","id":"r1","detail-type":"Scheduled Event","source":"aws.scheduler","detail":{"reassign":{"from_owner":5555,"pool":"sales"}}}`)
	srv.ResetCounts()
	srv.FailOpAfter("contacts.bulk_update", 3, 1, http.StatusBadRequest)
	if _, err := h.Invoke(context.Background(), ev); err == nil {
		t.Fatal("first attempt succeeded; want the injected failure")
	}
	if owned(srv, 5555) == 0 {
		t.Fatal("the injected failure came too late")
	}
	out, err := h.Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	res := out.(*engine.SweepResult)
	if res.Scanned != 451 || res.Reassigned != 450 || owned(srv, 5555) != 0 || res.CallCount != srv.Total() {
		t.Errorf("retry: scanned %d reassigned %d (left %d), calls %d of %d", res.Scanned, res.Reassigned, owned(srv, 5555), res.CallCount, srv.Total())
	}
	if _, err := os.Stat(filepath.Join(dir, "leadhook-reassign.state.json")); !os.IsNotExist(err) {
		t.Errorf("state left after the reassign completed: %v", err)
	}
}

// TestSweepCommandResume: a sweep (relabel plus the example's owner rule)
// that fails half way resumes with --resume, and its summary counts both
// runs: every contact relabelled and reassigned once.
func TestSweepCommandResume(t *testing.T) {
	dir := t.TempDir()
	srv, vars := reassignFake(t, 0, dir)
	for i := range 450 {
		srv.AddContact(deskera.Contact{Name: "S", Email: fmt.Sprintf("s%d@acme.io", i), OwnerID: 99999})
	}
	srv.FailOpAfter("contacts.bulk_update", 2, 1, http.StatusBadRequest)
	env, out, errw := testEnv(vars)
	if code := run(context.Background(), []string{"sweep", "--page-size", "100"}, env); code != 1 {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errw)
	}
	if !strings.Contains(errw.String(), "add --resume") {
		t.Errorf("stderr: %s", errw)
	}
	env, out, errw = testEnv(vars)
	if code := run(context.Background(), []string{"sweep", "--page-size", "100", "--resume"}, env); code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errw)
	}
	for _, want := range []string{"  contacts seen                 451\n", "  relabelled                    451\n", "  reassigned                    450\n", "resuming after page"} {
		if !strings.Contains(out.String()+errw.String(), want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, out, errw)
		}
	}
	for _, c := range srv.Contacts() {
		if c.OwnerID == 99999 || c.LabelID != 2 {
			t.Errorf("contact %d: owner %d label %d", c.ID, c.OwnerID, c.LabelID)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "leadhook-sweep.state.json")); !os.IsNotExist(err) {
		t.Errorf("state left: %v", err)
	}
}
