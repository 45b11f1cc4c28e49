package main

import (
	"context"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

func TestSweepCommand(t *testing.T) {
	sandbox := map[string]string{"LEADHOOK_SANDBOX": "1"}
	runGolden(t, []cliCase{
		{name: "dry run on the seeded sandbox", args: []string{"sweep", "--dry-run", "--seed", "250"}, golden: "sweep-dry-run", code: 0, vars: sandbox},
		{name: "real sweep on the sandbox", args: []string{"sweep", "--seed=120", "--page-size", "50", "--rules", "rules.example.yaml"}, golden: "sweep-sandbox", code: 0, vars: sandbox},
		{name: "empty sandbox", args: []string{"sweep"}, golden: "sweep-empty", code: 0, vars: sandbox},
		{name: "no credentials and no explicit sandbox", args: []string{"sweep"}, golden: "sweep-no-credentials", code: 2},
		{name: "explicit sandbox with credentials", args: []string{"sweep", "--sandbox"}, vars: map[string]string{"DESKERA_ACCESS_TOKEN": "tok"}, golden: "sweep-sandbox-and-credentials", code: 2},
		{name: "rules without thresholds", args: []string{"sweep", "--rules", "cmd/leadhook/testdata/no-thresholds.yaml"}, golden: "sweep-no-thresholds", code: 2},
		{name: "bad page size", args: []string{"sweep", "--page-size", "0"}, golden: "sweep-bad-flag", code: 2},
		{name: "unknown flag", args: []string{"sweep", "--frobnicate"}, golden: "sweep-unknown-flag", code: 2},
		{name: "invalid rules", args: []string{"sweep", "--rules", "cmd/leadhook/testdata/bad-rules.yaml"}, golden: "sweep-bad-rules", code: 2},
	})
}

// TestSweepAgainstDeskera runs the sweep on a Deskera API over HTTP (the
// fake) with credentials, as a scheduler would, and checks the contacts
// were relabelled and the failure exit code when Deskera refuses.
func TestSweepAgainstDeskera(t *testing.T) {
	srv := deskeratest.NewServer(t)
	for i, label := range []deskera.ID{4, 3, 2} { // Hot, Warm, Cold lead
		srv.AddContact(deskera.Contact{Name: "C", Email: strings.Repeat("x", i+1) + "@acme.io", LabelID: label})
	}
	vars := map[string]string{"DESKERA_BASE_URL": srv.URL, "DESKERA_ACCESS_TOKEN": deskeratest.DefaultToken,
		"LEADHOOK_RULES": "../../rules.example.yaml"}
	env, out, errw := testEnv(vars)
	if code := run(context.Background(), []string{"sweep"}, env); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errw)
	}
	for _, c := range srv.Contacts() {
		if c.LabelID != 2 {
			t.Errorf("contact %d has label %d, want 2 (Cold lead)", c.ID, c.LabelID)
		}
	}
	for _, want := range []string{"relabelled                      2", "Hot lead             Cold lead                   1", "contacts.bulk_update 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(errw.String(), "SANDBOX") {
		t.Errorf("credentials given, but the sweep says sandbox: %s", errw)
	}

	vars["DESKERA_ACCESS_TOKEN"] = "revoked"
	env, out, errw = testEnv(vars)
	if code := run(context.Background(), []string{"sweep"}, env); code != 1 {
		t.Fatalf("refused token: exit %d, want 1\n%s\n%s", code, out, errw)
	}
	if !strings.Contains(errw.String(), "leadhook sweep:") || !strings.Contains(errw.String(), "401") {
		t.Errorf("stderr should say the sweep failed and why: %s", errw)
	}
}
