package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
)

const (
	liveRules      = "testdata/history/live.yaml"
	candidateRules = "testdata/history/candidate.yaml"
)

// diffBudgets are stored queued deliveries: live labels Hot lead from 60,
// the candidate from 80, so 60, 65 and 79 would change.
var diffBudgets = []int{10, 60, 65, 79, 80, 95}

// seedHistory writes queued records with kept bodies, and one sync record
// without, into the SQLite history under dir; it returns their ids.
func seedHistory(t *testing.T, dir string) []string {
	t.Helper()
	// Records a second apart, so that newest first is the order they were
	// made in (within one millisecond they would tie, and go by id). Only
	// this goroutine records: the store reads its clock in Record.
	start, n := time.Now().Add(-time.Hour), 0
	clock := func() time.Time { n++; return start.Add(time.Duration(n) * time.Second) }
	st, err := history.OpenSQLite(context.Background(), filepath.Join(dir, history.FileName), history.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	for i, b := range diffBudgets {
		did := fmt.Sprintf("submission_id:d-%d", i)
		r := &history.Record{ID: history.ID("survey", did), Source: "survey", DeliveryID: did, Mode: history.ModeQueued,
			Outcome: history.OutcomeRetry, Status: 503,
			Body:   []byte(fmt.Sprintf(`{"email":"lead%d@example.com","submission_id":"d-%d","budget":%d}`, i, i, b)),
			Header: map[string]string{"Content-Type": "application/json"},
			Events: []history.Event{{EventID: did, Outcome: "retry", Score: float64(b), Matched: []string{"capture"}}}}
		if i == 1 { // its third attempt failed; the next is set
			next := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
			r.Attempts, r.NextAttemptAt = 3, &next
		}
		if err := st.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	sync := &history.Record{ID: history.ID("survey", "sync"), Source: "survey", DeliveryID: "sync", Mode: history.ModeSync,
		Outcome: history.OutcomeOK, Status: 200, Body: []byte(`{"email":"x@example.com"}`)}
	if err := st.Record(context.Background(), sync); err != nil {
		t.Fatal(err)
	}
	return append(ids, sync.ID)
}

func TestDeliveriesCommands(t *testing.T) {
	dir := t.TempDir()
	ids := seedHistory(t, dir)
	vars := map[string]string{"LEADHOOK_DATA_DIR": dir, "LEADHOOK_RULES": liveRules}
	cases := []struct {
		name     string
		args     []string
		vars     map[string]string
		code     int
		want     []string
		dontWant []string
	}{
		{name: "list", args: []string{"deliveries", "list"}, vars: vars, want: append([]string{"OUTCOME", "retry"}, ids...)},
		{name: "list by outcome", args: []string{"deliveries", "list", "--outcome", "ok"}, vars: vars, want: []string{ids[6]}, dontWant: []string{ids[0]}},
		{name: "list as json", args: []string{"deliveries", "list", "--format", "json", "--source", "survey", "--since", "1h"}, vars: vars, want: []string{`"deliveries"`, `"delivery_id": "submission_id:d-0"`}},
		{name: "list bad since", args: []string{"deliveries", "list", "--since", "yesterday"}, vars: vars, code: 2, want: []string{`--since "yesterday"`}},
		{name: "list without a store", args: []string{"deliveries", "list"}, code: 2, want: []string{"LEADHOOK_DATA_DIR", "LEADHOOK_STORE_URL"}},
		{name: "show", args: []string{"deliveries", "show", ids[1]}, vars: vars, want: []string{`"delivery_id": "submission_id:d-1"`, `"body_expires_at"`, `"attempts": 3`, `"next_attempt_at": "2026-03-01T12:30:00Z"`}, dontWant: []string{`"body":`}},
		{name: "show with the body", args: []string{"deliveries", "show", ids[1], "--body"}, vars: vars, want: []string{`"body":`}},
		{name: "show unknown", args: []string{"deliveries", "show", "dlv_nope"}, vars: vars, code: 1, want: []string{"no such delivery"}},
		{name: "show needs an id", args: []string{"deliveries", "show"}, vars: vars, code: 2},
		{name: "replay dry run", args: []string{"deliveries", "replay", ids[1], "--dry-run"}, vars: vars, want: []string{ids[1] + ": 200", `"outcome":"dry_run"`}},
		{name: "replay without a kept body", args: []string{"deliveries", "replay", ids[6]}, vars: vars, code: 1, want: []string{"body was not kept"}},
		{name: "unknown subcommand", args: []string{"deliveries", "frob"}, vars: vars, code: 2, want: []string{`unknown subcommand "frob"`}},
		{name: "help", args: []string{"deliveries", "--help"}, code: 0, want: []string{"Usage: leadhook deliveries", "replay ID..."}},
		{name: "list help", args: []string{"deliveries", "list", "-h"}, code: 0, want: []string{"Usage: leadhook deliveries list", "--data-dir"}},
		{name: "show help", args: []string{"deliveries", "show", "-h"}, code: 0, want: []string{"Usage: leadhook deliveries show"}},
		{name: "replay help", args: []string{"deliveries", "replay", "--help"}, code: 0, want: []string{"Usage: leadhook deliveries replay"}},
		{name: "rules help", args: []string{"rules", "-h"}, code: 0, want: []string{"Usage: leadhook rules diff"}},
		{name: "rules diff help", args: []string{"rules", "diff", "-h"}, code: 0, want: []string{"Usage: leadhook rules diff", "--deliveries"}},
		{name: "rules diff needs two files", args: []string{"rules", "diff", liveRules}, vars: vars, code: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, out, errw := testEnv(tc.vars)
			code := run(context.Background(), tc.args, env)
			all := out.String() + errw.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q: %s", w, all)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(all, w) {
					t.Errorf("output has %q: %s", w, all)
				}
			}
		})
	}
}

func TestDeliveriesReplayActsAndRecords(t *testing.T) {
	dir := t.TempDir()
	ids := seedHistory(t, dir)
	env, out, errw := testEnv(map[string]string{"LEADHOOK_DATA_DIR": dir, "LEADHOOK_RULES": liveRules})
	if code := run(context.Background(), []string{"deliveries", "replay", ids[0], ids[5]}, env); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errw.String())
	}
	st, err := history.OpenSQLite(context.Background(), filepath.Join(dir, history.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range []string{ids[0], ids[5]} {
		r, err := st.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != history.OutcomeOK || r.Attempts != 2 || len(r.ContactIDs) != 1 {
			t.Errorf("%s after replay: outcome %q attempts %d contacts %v", id, r.Outcome, r.Attempts, r.ContactIDs)
		}
	}
}

func TestRulesDiffReportsExactlyTheLabelChanges(t *testing.T) {
	dir := t.TempDir()
	ids := seedHistory(t, dir)
	env, out, errw := testEnv(map[string]string{"LEADHOOK_DATA_DIR": dir})
	if code := run(context.Background(), []string{"rules", "diff", liveRules, candidateRules, "--deliveries", "50"}, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	var changed []string
	for _, line := range strings.Split(out.String(), "\n") {
		if id, _, ok := strings.Cut(line, " ("); ok && strings.HasPrefix(id, "dlv_") {
			changed = append(changed, id)
		}
	}
	want := []string{ids[3], ids[2], ids[1]} // newest first: budgets 79, 65, 60
	if !slices.Equal(changed, want) {
		t.Fatalf("changed %v, want %v:\n%s", changed, want, out.String())
	}
	for _, w := range []string{`label: "Hot lead" -> "Warm lead"`, "7 deliveries read, 1 skipped (body not kept), 6 events compared, 3 would change"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	// Offline: the stored records are untouched (nothing acted, nothing recorded).
	st, err := history.OpenSQLite(context.Background(), filepath.Join(dir, history.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.List(context.Background(), history.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		want := 1
		if r.ID == ids[1] {
			want = 3 // seeded so
		}
		if r.Attempts != want {
			raw, _ := json.Marshal(r)
			t.Errorf("record changed by the diff: %s", raw)
		}
	}
}

func TestDeliveriesOnPostgres(t *testing.T) {
	url := historytest.PostgresSchemaURL(t)
	st, err := history.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	r := &history.Record{ID: history.ID("survey", "pg-1"), Source: "survey", DeliveryID: "pg-1", Mode: history.ModeSync, Outcome: history.OutcomeOK, Status: 200}
	if err := st.Record(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env, out, errw := testEnv(map[string]string{"LEADHOOK_STORE_URL": url})
	if code := run(context.Background(), []string{"deliveries", "list"}, env); code != 0 || !strings.Contains(out.String(), r.ID) {
		t.Fatalf("exit %d: %s %s", code, out.String(), errw.String())
	}
}

func TestHistoryConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"store url not postgres", map[string]string{"LEADHOOK_STORE_URL": "mysql://u:hunter2@h/db"}, "is not a postgres:// or postgresql:// URL"},
		{"retention shorter than bodies", map[string]string{"LEADHOOK_HISTORY_RETENTION": "1h"}, "is shorter than"},
		{"bad body retention", map[string]string{"LEADHOOK_HISTORY_BODY_RETENTION": "a week"}, "LEADHOOK_HISTORY_BODY_RETENTION"},
		{"shadow rules that do not load", map[string]string{"LEADHOOK_SHADOW_RULES": "testdata/history/missing.yaml", "LEADHOOK_RULES": liveRules, "LEADHOOK_ADDR": "127.0.0.1:0"}, "shadow rules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, _, errw := testEnv(tc.vars)
			if code := run(context.Background(), []string{"serve"}, env); code != 2 || !strings.Contains(errw.String(), tc.want) {
				t.Fatalf("exit %d, want 2 with %q: %s", code, tc.want, errw.String())
			}
			if strings.Contains(errw.String(), "hunter2") {
				t.Fatal("the store password is in the message")
			}
		})
	}
}
