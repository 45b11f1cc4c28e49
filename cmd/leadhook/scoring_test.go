package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// Label ids of the fake's seeded labels.
const (
	fakeCold deskera.ID = 2
	fakeHot  deskera.ID = 4
)

// TestWalkthroughThenSweep is the README walkthrough followed by
// `leadhook sweep`, on one Deskera (the HTTP fake) with credentials: Jane
// (score 90, Hot lead) is still a Hot lead after the sweep and after a
// later, thinner form (which costs the search only); with the example's
// half_life and the sweep's clock moved 200 days on, she cools down to
// Cold lead; without half_life she stays hot years later.
func TestWalkthroughThenSweep(t *testing.T) {
	srv := deskeratest.NewServer(t)
	vars := map[string]string{"DESKERA_BASE_URL": srv.URL, "DESKERA_ACCESS_TOKEN": deskeratest.DefaultToken}
	base, _, stop := startServe(t, vars)
	if resp := postWalkthroughForm(t, base); resp.StatusCode != 200 {
		t.Fatalf("walkthrough form answered %d", resp.StatusCode)
	}
	jane := func() deskera.Contact {
		t.Helper()
		cs := srv.Contacts()
		if len(cs) != 1 {
			t.Fatalf("%d contacts, want Jane only", len(cs))
		}
		return cs[0]
	}
	if c := jane(); c.LabelID != fakeHot || c.CField["Lead score"] != "90" {
		t.Fatalf("after the walkthrough: label %d, custom %v; want Hot lead, Lead score 90", c.LabelID, c.CField)
	}
	srv.ResetCounts()
	if resp := postSignedForm(t, base, "name=Jane+Doe&email=jane%40acme.io", nil); resp.StatusCode != 200 {
		t.Fatalf("thinner form answered %d", resp.StatusCode)
	}
	if c := jane(); c.LabelID != fakeHot || srv.Count("contacts.update") != 0 {
		t.Errorf("after a thinner form: label %d, calls %v; want Hot lead and no PATCH", c.LabelID, srv.Counts())
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	dir := t.TempDir()
	example, err := os.ReadFile("../../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noDecay := filepath.Join(dir, "no-decay.yaml")
	if err := os.WriteFile(noDecay, []byte(strings.Replace(string(example), "  half_life: 90d\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	sweep := func(rulesFile string, after time.Duration) string {
		t.Helper()
		vars["LEADHOOK_RULES"] = rulesFile
		env, out, errw := testEnv(vars)
		at := time.Now().Add(after)
		env.Now = func() time.Time { return at }
		if code := run(context.Background(), []string{"sweep"}, env); code != 0 {
			t.Fatalf("sweep exit %d\n%s\n%s", code, out, errw)
		}
		return out.String()
	}
	steps := []struct {
		name  string
		rules string
		after time.Duration
		want  deskera.ID
		line  string
	}{
		{"the next sweep", "../../rules.example.yaml", 0, fakeHot, "label unchanged                 1"},
		{"no decay, 3 years on", noDecay, 3 * 365 * 24 * time.Hour, fakeHot, "label unchanged                 1"},
		{"half_life 90d, 200 days on", "../../rules.example.yaml", 200 * 24 * time.Hour, fakeCold, "Hot lead             Cold lead                   1"},
	}
	for _, st := range steps {
		out := sweep(st.rules, st.after)
		if c := jane(); c.LabelID != st.want || c.CField["Lead score"] != "90" {
			t.Errorf("%s: label %d, score %q; want label %d, the stored 90 kept", st.name, c.LabelID, c.CField["Lead score"], st.want)
		}
		if !strings.Contains(out, st.line) {
			t.Errorf("%s: the summary lacks %q:\n%s", st.name, st.line, out)
		}
	}
}
