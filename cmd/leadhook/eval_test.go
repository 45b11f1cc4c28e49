package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestEvalCommand(t *testing.T) {
	typeform, err := os.ReadFile(filepath.Join("..", "..", "testdata", "payloads", "typeform.json"))
	if err != nil {
		t.Fatal(err)
	}
	const at = "--received-at=2026-01-15T10:00:00Z"
	// The HMAC-SHA256 of the website payload with the example's default secret.
	const sig = "X-Signature: sha256=aad7c0dbfbad371572d4636a061cf3180f80335b812cccf43a875a131cbc8b20"
	runGolden(t, []cliCase{
		{name: "website form explained", args: []string{"eval", "--source", "website", at, "testdata/payloads/website-form.urlencoded"},
			golden: "eval-website", code: 0},
		{name: "signature verified", args: []string{"eval", "--source", "website", "--verify", "--header", sig, at, "--format", "json", "testdata/payloads/website-form.urlencoded"},
			golden: "eval-website-verified-json", code: 0},
		{name: "mailgun email as json", args: []string{"eval", "--format", "json", "--source", "mailgun", at, "testdata/payloads/mailgun.urlencoded"},
			golden: "eval-mailgun-json", code: 0},
		{name: "typeform from stdin with a header", args: []string{"eval", "--source", "typeform", "--header", "Content-Type: application/json", at, "-"},
			stdin: string(typeform), golden: "eval-typeform-stdin", code: 0},
		{name: "bad signature", args: []string{"eval", "--source", "website", "--verify", at, "testdata/payloads/website-form.urlencoded"},
			golden: "eval-bad-signature", code: 1},
		{name: "payload not in the source's format", args: []string{"eval", "--source", "typeform", at, "-"},
			stdin: "name=not+json", golden: "eval-bad-payload", code: 1},
		{name: "unknown source", args: []string{"eval", "--source", "fax", "testdata/payloads/typeform.json"}, golden: "eval-unknown-source", code: 1},
		{name: "missing source", args: []string{"eval", "testdata/payloads/typeform.json"}, golden: "eval-no-source", code: 2},
		{name: "bad header flag", args: []string{"eval", "--source", "website", "--header", "no-colon"}, golden: "eval-bad-header", code: 2},
		{name: "rules file with problems", args: []string{"eval", "--rules", "cmd/leadhook/testdata/bad-rules.yaml", "--source", "website", "-"},
			golden: "eval-bad-rules", code: 1},
	})
}

// TestDryRunAnswerExplains checks the service's dry-run answer carries
// the same explanation as leadhook eval.
func TestDryRunAnswerExplains(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("..", "..", "testdata", "payloads", "website-form.urlencoded"))
	if err != nil {
		t.Fatal(err)
	}
	a := newServeApp(t, map[string]string{"LEADHOOK_RULES": "../../rules.example.yaml", "LEADHOOK_ADDR": "127.0.0.1:0", "LEADHOOK_ADMIN_TOKEN": "adm"})
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/website?dry_run=1&explain=1", bytes.NewReader(payload))
	req.Header.Set("Authorization", "Bearer adm")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Outcome string             `json:"outcome"`
		Explain *rules.Explanation `json:"explain"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if got.Outcome != "dry_run" || got.Explain == nil || len(got.Explain.Rules) != 11 {
		t.Fatalf("dry-run answer without the explanation: %+v", got)
	}
	web := got.Explain.Rules[3]
	if web.Name != "website-form" || web.Result != rules.ResultMatched || len(web.Steps) < 3 ||
		web.Steps[2].Expr != "event.kind" || web.Steps[2].Value != "form" {
		t.Errorf("website-form explanation: %+v", web)
	}
	if len(a.sandbox.Contacts()) != 0 {
		t.Error("a dry run created contacts")
	}
}

// TestEvalOnlineLooksContactUp: with Deskera configured, eval's dry run
// searches the contact there (reads only), so an existing contact is
// planned as an update, never a create; --offline keeps the sandbox and
// never calls Deskera.
func TestEvalOnlineLooksContactUp(t *testing.T) {
	payload, err := filepath.Abs(filepath.Join("..", "..", "testdata", "payloads", "website-form.urlencoded"))
	if err != nil {
		t.Fatal(err)
	}
	rulesFile, err := filepath.Abs(filepath.Join("..", "..", "rules.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		offline    bool
		wantCreate bool
	}{
		{name: "Online", offline: false, wantCreate: false},
		{name: "Offline", offline: true, wantCreate: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := deskeratest.NewServer(t)
			srv.AddContact(deskera.Contact{Name: "Jane Doe", Email: "jane@acme.io", OwnerID: 17826})
			srv.ResetCounts()
			env, out, errw := testEnv(map[string]string{"DESKERA_BASE_URL": srv.URL, "DESKERA_ACCESS_TOKEN": deskeratest.DefaultToken})
			args := []string{"eval", "--source", "website", "--format", "json", "--rules", rulesFile, "--received-at", "2026-01-15T10:00:00Z"}
			if tc.offline {
				args = append(args, "--offline")
			}
			if code := run(context.Background(), append(args, payload), env); code != 0 {
				t.Fatalf("exit %d: %s", code, errw.String())
			}
			var got struct {
				Events []struct {
					Calls []engine.Call `json:"calls"`
				} `json:"events"`
			}
			if err := json.Unmarshal([]byte(out.String()), &got); err != nil || len(got.Events) != 1 {
				t.Fatalf("output %s: %v", out.String(), err)
			}
			creates := 0
			for _, c := range got.Events[0].Calls {
				if c.Op == "contacts.create" {
					creates++
				}
			}
			if (creates > 0) != tc.wantCreate {
				t.Errorf("planned creates = %d, want create %v (calls %+v)", creates, tc.wantCreate, got.Events[0].Calls)
			}
			for op := range srv.Counts() {
				if tc.offline || op != "contacts.list" && op != "contacts.get" && op != "labels.list" {
					t.Errorf("Deskera saw %s (%v); want %s", op, srv.Counts(), map[bool]string{true: "nothing", false: "reads only"}[tc.offline])
				}
			}
			if !tc.offline && srv.Count("contacts.list") != 1 {
				t.Errorf("searches = %d, want 1", srv.Count("contacts.list"))
			}
		})
	}
}
