package rules_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/internal/fixture"
)

var noEnv = fixture.NoEnv

// loadSource loads doc, a rules file whose source is named "s". With
// wantErr set the load must fail with an error containing it, and ok is
// false (the case is done); else it must load, and the source is returned.
func loadSource(t *testing.T, doc, wantErr string, opts ...rules.LoadOption) (src rules.Source, ok bool) {
	t.Helper()
	set, err := rules.Load("t.yaml", []byte(doc), opts...)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want one containing %q", err, wantErr)
		}
		return rules.Source{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	src, ok = set.Source("s")
	if !ok {
		t.Fatal("no source s")
	}
	return src, true
}

func TestLoadErrors(t *testing.T) {
	const formats = "json, form, typeform, webflow, tally, jotform, mailgun, sendgrid, postmark, ses, cloudevents, deskera"
	const actions = "upsert_contact, create_contact, update_contact, assign_label, assign_owner, set_visibility, delete_contact"
	tests := []struct {
		name string
		want []string // without the "rules.<name>.yaml:" prefix
	}{
		{"unknown-key", []string{`2: unknown key "rule" in the rules file; did you mean "rules"?`}},
		{"unknown-rule-key", []string{
			`2: rule "capture": rule has no when (use when: 'true' to match every event)`,
			`3: rule "capture": unknown key "whn" in rule; did you mean "when"?`}},
		{"duplicate-key", []string{`4: rule "capture": duplicate key "when" in rule`}},
		{"duplicate-rule", []string{`5: rule "capture": duplicate rule name (first at line 2)`}},
		{"unknown-action", []string{`5: rule "capture": unknown action "send_email" (one of ` + actions + `)`}},
		{"undeclared-label", []string{`6: rule "hot": label "Hot lead" is not declared under labels`}},
		{"undeclared-pool", []string{`7: rule "route": owner pool "support" is not declared under owners`}},
		{"empty", []string{`1: the rules file is empty: it declares no sources and no rules`}},
		{"empty-when", []string{`3: rule "capture": when is empty`}},
		{"when-not-bool", []string{`3: rule "capture": when: expected bool, but got number`}},
		{"score-not-number", []string{`2: score "email": must be a number, but is a string`}},
		{"type-error", []string{`3: rule "capture": when: event has no field "emial"; did you mean "email"? (1:7)`}},
		{"bad-regex", []string{"3: rule \"capture\": when: error parsing regexp: missing closing ]: `[` (1:13)"}},
		{"unset-var", []string{`4: environment variable "LEADHOOK_TEST_UNSET" is not set and has no default`}},
		{"bad-source", []string{
			`3: source "website": unknown format "html" (one of ` + formats + `)`,
			`4: source "website": auth type "hmac-sha256" needs a non-empty "secret"`,
			`4: source "website": auth key "token" does not apply to auth type "hmac-sha256"`,
			`5: source name "Mail" must be lowercase letters, digits, '-' or '_'`}},
		{"set-field-type", []string{
			`7: rule "capture": upsert_contact set.owner_id: must be an integer, but is a string`,
			`7: rule "capture": upsert_contact set: unknown contact field "nickname"`}},
		{"node-limit", []string{`3: rule "huge": when: compilation failed: expression exceeds maximum allowed nodes (1:2004)`}},
		{"multi", []string{
			`2: unknown key "colour" in label; did you mean "color"?`,
			`4: owner pool "sales" is empty`,
			`7: label "Warm lead" is not declared under labels`,
			`10: rule "one": when: unknown name "scor"; did you mean "score"? (1:1)`,
			`12: rule "one": label "Cold lead" is not declared under labels`,
			`13: rule #2 has no name`,
			`13: rule "#2": rule has no actions`}},
		{"unquoted-has", []string{`3: rule "coupon": when: unknown name "coupon"; a form field's name is a quoted string: has("coupon") (1:5)`}},
		{"unquoted-field", []string{`3: rule "budget": when: unknown name "budget"; a form field's name is a quoted string: field("budget") (1:14)`}},
		{"unknown-call-arg", []string{`3: rule "words": when: unknown name "subject" (names: event, contact, score, scores, score_label, stored_score, event_score, event_scores; a form field is field("subject")) (1:14)`}},
		{"unknown-function", []string{`3: rule "typo": when: unknown function "hass"; did you mean "has"? (1:1)`}},
		{"event-field-typo", []string{`3: rule "typo": when: event has no field "knd"; did you mean "kind"? (1:7)`}},
		{"visibility-number", []string{`5: rule "vis": set_visibility type must be one of "private", "public", "team", not "42"`}},
		{"visibility-typo", []string{`5: rule "vis": set_visibility type must be one of "private", "public", "team", not "teams"; did you mean "team"?`}},
		{"set-enum", []string{
			`5: rule "vis": upsert_contact set.visibility_type must be one of "private", "public", "team", not "everyone"`,
			`5: rule "vis": upsert_contact set.type must be one of "person", "organization", not "company"`}},
		{"score-mixed-branches", []string{
			`2: score "form": must be a number in every branch, but the branch "five" is a string`,
			`3: score "coalesced": must be a number in every branch, but the branch true is a bool`}},
		{"score-let-branch", []string{`2: score "let": must be a number in every branch, but the branch "x" is a string`}},
		{"typos", []string{
			`8: rule "typos": unknown action "assign_lable"; did you mean "assign_label"? (one of ` + actions + `)`,
			`9: rule "typos": label "Hot led" is not declared under labels; did you mean "Hot lead"?`,
			`10: rule "typos": owner pool "sale" is not declared under owners; did you mean "sales"?`,
			`11: rule "typos": upsert_contact set: unknown contact field "nmae"; did you mean "name"?`}},
		{"bad-scoring", []string{
			`3: scoring combine "lastest" is not one of max, latest; did you mean "latest"?`,
			`4: scoring half_life "30 days" is not a duration: write e.g. 30d, 2w or 720h`,
			`5: scoring at_field is empty: name the Deskera custom field (or write store: false to not keep scores)`,
			`6: unknown key "decay" in scoring`}},
		{"bad-half-life", []string{`4: scoring half_life "-2d" must be positive (leave half_life out for no decay)`}},
		{"syntax", []string{`4: rule "capture": did not find expected '-' indicator`}},
		{"syntax-colon", []string{`8: rule "broken": mapping values are not allowed in this context`}},
		{"syntax-quote", []string{`7: rule "broken": found unexpected end of stream (is a quote left open?)`}},
		{"syntax-tab", []string{`10: rule "broken": found a tab character that violates indentation`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := "rules." + tt.name + ".yaml"
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			set, err := rules.Load(file, data, rules.WithLookupEnv(noEnv))
			if set != nil || err == nil {
				t.Fatalf("Load succeeded, want %d problems", len(tt.want))
			}
			var le *rules.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = file + ":" + w
			}
			if got, want := err.Error(), strings.Join(want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestEveryFixtureIsTested(t *testing.T) {
	files, err := filepath.Glob("testdata/rules.*.yaml")
	if err != nil || len(files) < 15 {
		t.Fatalf("fixtures: %v, %d files", err, len(files))
	}
	for _, f := range files {
		if _, err := rules.LoadFile(f, rules.WithLookupEnv(noEnv)); err == nil {
			t.Errorf("%s loads without error; every fixture is a failing case", f)
		}
	}
}

func TestLoadInterpolation(t *testing.T) {
	env := map[string]string{"SECRET": "s3cret", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, value, want, err string
	}{
		{"plain", "${SECRET}", "s3cret", ""},
		{"default unused", "${SECRET:-dflt}", "s3cret", ""},
		{"default for unset", "${NOPE:-dflt}", "dflt", ""},
		{"default for empty", "${EMPTY:-dflt}", "dflt", ""},
		{"empty without default", "x${EMPTY}y", "xy", ""},
		{"escaped", "$${SECRET}", "${SECRET}", ""},
		{"embedded", "a-${SECRET}-b", "a-s3cret-b", ""},
		{"unset", "${NOPE}", "", `t.yaml:4: source "s": environment variable "NOPE" is not set and has no default`},
		{"bad name", "${1X}", "", `t.yaml:4: source "s": invalid variable name "1X"`},
		{"unterminated", "${SECRET", "", `t.yaml:4: source "s": unterminated variable reference "${SECRET"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "sources:\n  s:\n    format: json\n    auth: {type: token, token: '" + tt.value + "'}\n"
			src, ok := loadSource(t, doc, strings.TrimPrefix(tt.err, `t.yaml:4: source "s": `), rules.WithLookupEnv(lookup))
			if !ok {
				return
			}
			if got := src.Auth.Token.Reveal(); got != tt.want {
				t.Errorf("token = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	doc := "sources:\n  s:\n    format: json\n    auth: {type: token, token: topsecret, header: 7}\n"
	set, err := rules.Load("t.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	src, _ := set.Source("s")
	for _, s := range []string{src.Auth.Token.String(), src.Auth.Token.GoString()} {
		if strings.Contains(s, "topsecret") {
			t.Errorf("secret printed: %s", s)
		}
	}
}

func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/rules.*.yaml")
	files = append(files, "../rules.example.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := rules.Load("fuzz.yaml", data, rules.WithLookupEnv(noEnv))
		if (set == nil) == (err == nil) {
			t.Fatalf("Load returned set %v and error %v", set != nil, err)
		}
		if err != nil {
			var le *rules.LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error is not a non-empty *LoadError: %v", err)
			}
			return
		}
		set.Evaluate(&rules.Event{Kind: rules.KindForm, Email: "a@b.co"}, nil)
	})
}

// TestLoadAuthSecretsAndTimestamp: auth.secrets (a list, for rotation) on
// every HMAC-style scheme, alone or beside secret, with ${VAR}
// interpolation; timestamp_header on hmac-sha256 only.
func TestLoadAuthSecretsAndTimestamp(t *testing.T) {
	env := map[string]string{"OLD": "old-secret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, auth string
		secrets    []string // wanted SigningSecrets
		tsHeader   string
		err        string
	}{
		{"SecretPlusList", "{type: hmac-sha256, secret: new, secrets: ['${OLD}', older]}", []string{"new", "old-secret", "older"}, "", ""},
		{"ListAlone", "{type: github, secrets: [a, b]}", []string{"a", "b"}, "", ""},
		{"StripeList", "{type: stripe, secret: whsec_x, secrets: [whsec_y]}", []string{"whsec_x", "whsec_y"}, "", ""},
		{"MailgunList", "{type: mailgun, secret: k, secrets: [k2]}", []string{"k", "k2"}, "", ""},
		{"StandardWebhooksList", "{type: standard-webhooks, secrets: [whsec_AAAA]}", []string{"whsec_AAAA"}, "", ""},
		{"TimestampHeader", "{type: hmac-sha256, secret: s, timestamp_header: X-Leadhook-Timestamp, tolerance: 2m}", []string{"s"}, "X-Leadhook-Timestamp", ""},
		{"EmptyListItem", "{type: tally, secret: s, secrets: ['']}", nil, "", `auth secrets #1 is empty`},
		{"NotAList", "{type: tally, secrets: s}", nil, "", `auth secrets`},
		{"NeitherSecretNorList", "{type: typeform}", nil, "", `auth type "typeform" needs a non-empty "secret"`},
		{"SecretsOnToken", "{type: token, token: t, secrets: [a]}", nil, "", `auth key "secrets" does not apply to auth type "token"`},
		{"TimestampHeaderOnGitHub", "{type: github, secret: s, timestamp_header: X-T}", nil, "", `auth key "timestamp_header" does not apply to auth type "github"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "sources:\n  s:\n    format: json\n    auth: " + tt.auth + "\n"
			src, ok := loadSource(t, doc, tt.err, rules.WithLookupEnv(lookup))
			if !ok {
				return
			}
			var got []string
			for _, s := range src.Auth.SigningSecrets() {
				got = append(got, s.Reveal())
			}
			if strings.Join(got, ",") != strings.Join(tt.secrets, ",") {
				t.Errorf("secrets = %q, want %q", got, tt.secrets)
			}
			if src.Auth.TimestampHeader != tt.tsHeader {
				t.Errorf("timestamp_header = %q, want %q", src.Auth.TimestampHeader, tt.tsHeader)
			}
			if s := fmt.Sprintf("%v %+v %#v", src.Auth, src.Auth, src.Auth); strings.Contains(s, "old-secret") {
				t.Errorf("a secret of auth.secrets was printed: %s", s)
			}
		})
	}
}

// The rules version a delivery's history names is what sha256sum prints
// for the file, so an operator can tell which file it ran on.
func TestDigestIsTheFileSHA256(t *testing.T) {
	data, err := os.ReadFile("../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load("rules.example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got, want := set.Digest(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	other, err := rules.Load("x.yaml", append(data, []byte("\n# a comment\n")...))
	if err != nil {
		t.Fatal(err)
	}
	if other.Digest() == set.Digest() {
		t.Fatal("a changed file has the same digest")
	}
}
