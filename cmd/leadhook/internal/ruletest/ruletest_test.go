package ruletest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"

	"github.com/leadhook/leadhook/cmd/leadhook/internal/ruletest"
)

func TestParseReportsMistakes(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "the test file is empty"},
		{"no rules", "tests: [{name: a, event: {kind: form}}]", "no `rules:` key"},
		{"no tests", "rules: r.yaml", "no test cases"},
		{"unknown top-level key", "rules: r.yaml\ntest: []", "field test not found"},
		{"unknown case key", "rules: r.yaml\ntests: [{name: a, evnt: {}}]", "field evnt not found"},
		{"unknown expectation", "rules: r.yaml\ntests:\n  - name: a\n    event: {kind: form}\n    expect: {macthed: []}", `unknown expectation "macthed"`},
		{"no input", "rules: r.yaml\ntests:\n  - name: a\n    expect: {}", `t.yaml:3: test "a": give one input`},
		{"two inputs", "rules: r.yaml\ntests: [{name: a, sweep: true, event: {kind: form}}]", "give only one of"},
		{"payload without source", "rules: r.yaml\ntests: [{name: a, body: x}]", "needs `source:`"},
		{"duplicate names", "rules: r.yaml\ntests: [{name: a, sweep: true}, {name: a, sweep: true}]", `test "a": duplicate name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ruletest.Parse("t.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

const cases = `rules: testdata/rules.yaml
env: {WEB_TOKEN: secret}
crm:
  contacts:
    - {id: 9, email: old@acme.io, name: Old, label: Warm lead}
tests:
  - name: new hot lead
    source: web
    body: '{"email": "a@acme.io", "name": "Ann", "budget": 5000}'
    headers: {X-Token: secret}
    verify: true
    expect:
      matched: [capture]
      score: 50
      score_label: Hot lead
      actions: [{type: upsert_contact}, {type: assign_label, label: Hot lead}]
      calls: [GET /v1/crm/contacts, POST /v1/crm/contacts]
      contact_count: 2
      contacts: [{email: a@acme.io, name: Ann, label: Hot lead}, {id: 9, label: Warm lead}]
  - name: wrong expectations
    event: {kind: form, email: old@acme.io, name: Olga}
    expect:
      matched: []
      score: 10
      calls: ["GET /v1/crm/contacts?email=x"]
      contacts: [{id: 9, name: Olga, label: Hot lead}, {email: ghost@acme.io}]
  - name: bad token
    source: web
    body: '{"email": "a@acme.io"}'
    headers: {X-Token: wrong}
    verify: true
    expect: {error: authentication failed}
  - name: the event id is the service's delivery id
    source: web
    body: '{"email": "b@acme.io"}'
    headers: {Idempotency-Key: order-7}
    dry_run: true
    expect: {event: {id: order-7, email: b@acme.io}, calls: [GET /v1/crm/contacts, POST /v1/crm/contacts], contact_count: 1}
  - name: unknown label in the starting state
    crm: {contacts: [{email: x@acme.io, label: VIP}]}
    event: {kind: form, email: x@acme.io}
    expect: {matched: [capture]}
  - name: sweep
    sweep: true
    expect:
      sweep: {scanned: 1, unchanged: 0, changed: 1, by_label: {Warm lead: 0}}
`

func TestRunFile(t *testing.T) {
	f, err := ruletest.Parse("cases.yaml", []byte(cases))
	if err != nil {
		t.Fatal(err)
	}
	results, err := ruletest.RunFile(context.Background(), f, ruletest.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"new hot lead": nil,
		"wrong expectations": {
			"matched: expected (-) vs got (+):\n- []\n+ - capture",
			"score: expected (-) vs got (+):\n- 10\n+ 0",
			"calls: expected (-) vs got (+):\n- - GET /v1/crm/contacts?email=x\n+ - GET /v1/crm/contacts?email=old%40acme.io&limit=10\n+ - PATCH /v1/crm/contacts/9",
			"contacts[0] (id 9): expected (-) vs got (+):\n  id: 9\n- label: Hot lead\n+ label: Warm lead\n  name: Olga",
			`contacts[1]: no contact with email "ghost@acme.io" in the CRM`,
		},
		"bad token": nil,
		"the event id is the service's delivery id": nil,
		"unknown label in the starting state":       {`unexpected error: starting CRM state: contact 1: label "VIP" does not exist; list it under crm.labels`},
		"sweep":                                     {"sweep: expected (-) vs got (+):\n  by_label:\n      Warm lead: 0\n- changed: 1\n+ changed: 0\n  scanned: 1\n- unchanged: 0\n+ unchanged: 1"},
	}
	if len(results) != len(want) {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		w := want[r.Name]
		if r.Passed() != (w == nil) || len(r.Failures) != len(w) {
			t.Errorf("%s: failures %q, want %q", r.Name, r.Failures, w)
			continue
		}
		for i := range w {
			if !strings.HasPrefix(r.Failures[i], w[i]) {
				t.Errorf("%s: failure %d:\n%s\nwant prefix:\n%s", r.Name, i, r.Failures[i], w[i])
			}
		}
	}
}

func TestRunFileRulesThatDoNotLoad(t *testing.T) {
	f, err := ruletest.Parse("cases.yaml", []byte("rules: testdata/rules.yaml\ntests: [{name: a, sweep: true}]"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ruletest.RunFile(context.Background(), f, ruletest.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil || !strings.Contains(err.Error(), `environment variable "WEB_TOKEN" is not set`) {
		t.Fatalf("err %v", err)
	}
}

func TestGuessContentType(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"a":1}`, "application/json"},
		{"  [1]", "application/json"},
		{"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--", "multipart/form-data; boundary=XyZ"},
		{"a=1&b=2", "application/x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		if got := ruletest.GuessContentType([]byte(tt.body)); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.body, got, tt.want)
		}
	}
}

// TestDeliverTellsAuthFailuresApart: a refused signature is ErrAuth
// (the service's 401), a payload the parser refuses is not.
func TestDeliverTellsAuthFailuresApart(t *testing.T) {
	set, err := rules.LoadFile("testdata/rules.yaml", rules.WithLookupEnv(func(string) (string, bool) { return "secret", true }))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := ruletest.NewSandbox(t.Context(), set, nil, ruletest.DefaultNow())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		post    ruletest.Post
		wantErr string
		auth    bool
	}{
		{"wrong token", ruletest.Post{Source: "web", Body: []byte(`{"email":"a@acme.io"}`), Verify: true,
			Header: http.Header{"X-Token": {"wrong"}}}, `authentication failed for source "web" (auth token, header X-Token)`, true},
		{"not json", ruletest.Post{Source: "web", Body: []byte(`a=1`), Header: http.Header{"Content-Type": {"application/json"}}},
			"the payload is not valid json", false},
		{"unknown source", ruletest.Post{Source: "fax"}, `unknown source "fax"; the rules file declares: web`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.post.Now, tt.post.DryRun = ruletest.DefaultNow(), true
			_, err := ruletest.Deliver(t.Context(), set, sb.Engine, tt.post)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if got := errors.Is(err, ruletest.ErrAuth); got != tt.auth {
				t.Errorf("errors.Is(err, ErrAuth) = %v, want %v", got, tt.auth)
			}
		})
	}
}

// TestDeliverScreensBrowserSources: a browser source's honeypot keeps a
// bot's form out before the rules, as in the running service.
func TestDeliverScreensBrowserSources(t *testing.T) {
	set, err := rules.Load("page.yaml", []byte(`sources:
  page: {format: form, auth: {type: none}, browser: {allowed_origins: ['https://www.acme.io'], honeypot: _gotcha}}
rules:
  - name: capture
    when: 'event.email != ""'
    actions: [{upsert_contact: {set: {email: event.email}}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := ruletest.NewSandbox(t.Context(), set, nil, ruletest.DefaultNow())
	if err != nil {
		t.Fatal(err)
	}
	post := ruletest.Post{Source: "page", Now: ruletest.DefaultNow(), DryRun: true}
	post.Body = []byte("email=ann%40acme.io&_gotcha=")
	if d, err := ruletest.Deliver(t.Context(), set, sb.Engine, post); err != nil || len(d.Events) != 1 {
		t.Fatalf("a person's form: %v, %d events", err, len(d.Events))
	}
	post.Body = []byte("email=bot%40acme.io&_gotcha=filled")
	d, err := ruletest.Deliver(t.Context(), set, sb.Engine, post)
	if err == nil || !strings.Contains(err.Error(), "took it for spam") || len(d.Events) != 0 {
		t.Fatalf("a bot's form: %v, %d events", err, len(d.Events))
	}
}
