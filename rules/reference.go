package rules

import (
	"fmt"
	"slices"
	"strings"
)

func rootKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"labels", "list", "Labels rules may assign. Names resolve to Deskera label ids at start-up (cached, refreshed on a miss); `create: true` creates a missing one.", "labels:\n  - {name: Hot lead, color: deep-orange, icon: whatshot}\n  - Warm lead"},
		{"owners", "mapping of pools", "Owner pools for assign_owner: pool name -> list of user ids, each optionally weighted.", "owners:\n  sales: [17826, 21584]\n  enterprise:\n    - {id: 2675, weight: 2}\n    - 17826"},
		{"sources", "mapping", "Inbound endpoints, POST /hooks/<name>, with their payload format and authentication.", "sources:\n  website:\n    format: form\n    auth: {type: hmac-sha256, header: X-Signature, secret: '${WEBSITE_SECRET:-dev-website-secret}'}"},
		{"scores", "mapping of expressions", "Named score parts, each a numeric expression; `score` is their sum and `scores.<name>` each part. Inside a score expression score is 0.", "scores:\n  budget: 'number(field(\"budget\")) >= 10000 ? 40 : 0'\n  business_email: 'is_free_email(event.email) ? 0 : 20'"},
		{"thresholds", "mapping label -> number", "Score thresholds: a score of at least the number gets the label (highest match wins); used by `assign_label: {from: score}`, `score_label` and the sweep. Labels must be declared.", "thresholds:\n  Hot lead: 60\n  Warm lead: 30\n  Cold lead: 0"},
		{"sweep", "mapping", "The scoring sweep's policy (see below).", "sweep: {when: 'contact.email != \"\"', page_size: 100, chunk_size: 200}"},
		{"rules", "list", "The rules, evaluated in order (see below).", "rules:\n  - name: capture\n    when: 'event.email != \"\"'\n    actions:\n      - upsert_contact: {set: {name: event.name}}"},
	}
}

func labelKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"name", "string", "Label name as shown in Deskera (matched case-insensitively).", "name: Hot lead"},
		{"color", "string", "Colour used when the label is created.", "color: deep-orange"},
		{"icon", "string", "Material icon used when the label is created.", "icon: whatshot"},
		{"create", "bool", "Create the label in Deskera when missing (default false: a missing label is a start-up error).", "create: true"},
	}
}

func ownerKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"id", "integer", "Deskera user id.", "id: 17826"},
		{"weight", "number", "Relative share of the pool's contacts (default 1).", "weight: 2"},
	}
}

func sourceKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"format", "string", "Payload format, one of: " + strings.Join(Formats(), ", ") + ".", "format: typeform"},
		{"auth", "mapping", "How a request proves its sender (required; `{type: none}` accepts anyone).", "auth: {type: typeform, secret: '${TYPEFORM_SECRET:-dev-typeform-secret}'}"},
		{"allow_ips", "list", "Also restrict senders to these IPs or CIDRs.", "allow_ips: [203.0.113.0/24]"},
		{"id_field", "string", "Payload field holding a delivery id, when the format and headers have none.", "id_field: submission_id"},
		{"delivery", "string", "When the sender is answered: `sync` acts, then answers the result; `queued` verifies and parses, stores the delivery durably, answers 202 Accepted and acts in a worker (retrying until done or dead-lettered; dry runs stay sync). Default: queued for the browser-form and email formats (form, mailgun, sendgrid, postmark, ses), sync for the others.", "delivery: queued"},
	}
}

func authKeyDocs() []KeyDoc {
	var types []string
	for _, t := range AuthTypes() {
		req, opt := authKeys(t)
		s := "`" + t + "`"
		if len(req) > 0 {
			s += " needs " + strings.Join(req, ", ")
		}
		if len(opt) > 0 {
			s += " (optional: " + strings.Join(opt, ", ") + ")"
		}
		types = append(types, s)
	}
	return []KeyDoc{
		{"type", "string", "Scheme: " + strings.Join(types, "; ") + ". Keys a type does not use are errors.", "type: hmac-sha256"},
		{"header", "string", "Header carrying the signature or token.", "header: X-Signature"},
		{"secret", "secret", "Signing secret or key; use ${VAR}. Never logged.", "secret: '${WEBSITE_SECRET:-dev-website-secret}'"},
		{"secrets", "list", "Further signing secrets accepted beside secret (rotation: a request signed with any passes); every HMAC-style scheme. Never logged.", "secrets: ['${WEBSITE_SECRET_OLD}']"},
		{"encoding", "string", "Signature encoding, hex (default) or base64.", "encoding: base64"},
		{"prefix", "string", "Text before the signature or token value.", "prefix: sha256="},
		{"token", "secret", "Shared token (Authorization: Bearer, or header).", "token: '${CRM_HOOK_TOKEN:-dev-crm-token}'"},
		{"username", "string", "HTTP Basic user.", "username: postmark"},
		{"password", "secret", "HTTP Basic password.", "password: '${INBOUND_PASSWORD:-dev-password}'"},
		{"tolerance", "duration", "Accepted clock skew for timestamped signatures (default 5m).", "tolerance: 5m"},
		{"timestamp_header", "string", "hmac-sha256 only: header with the Unix-seconds timestamp; the signature is then over \"{timestamp}.{body}\" and the timestamp must be within tolerance (replay window). For senders you control.", "timestamp_header: X-Leadhook-Timestamp"},
		{"topic_arns", "list", "SNS topics accepted (sns, also the window of SNS messages: tolerance, default 15m).", "topic_arns: ['arn:aws:sns:eu-west-1:123456789012:inbound']"},
	}
}

func sweepKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"when", "bool expression", "Only contacts for which this is true are relabelled (the env has `contact`, `score`, `scores`).", "when: 'contact.email != \"\" && contact.label != \"Customer\"'"},
		{"page_size", "integer 1..1000", "Contacts per list page (default 100).", "page_size: 200"},
		{"chunk_size", "integer 1..1000", "Most ids per bulk PATCH (default 100).", "chunk_size: 500"},
		{"keep_labels", "list", "Declared labels the sweep never changes.", "keep_labels: [Customer]"},
	}
}

func ruleKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"name", "string", "Unique rule name (used in messages, plans and results).", "name: hot-lead"},
		{"description", "string", "What the rule is for.", "description: Route hot leads to sales"},
		{"enabled", "bool", "false keeps the rule compiled but skipped (default true).", "enabled: false"},
		{"when", "bool expression", "The condition; required. A runtime error counts as not matched and is reported in the plan.", "when: 'score >= 60 && !is_free_email(event.email)'"},
		{"actions", "list", "Actions to add to the plan when the rule matches; each is a one-key mapping (see Actions).", "actions:\n  - assign_label: Hot lead"},
		{"stop", "bool", "When the rule matches, later rules are skipped.", "stop: true"},
	}
}

// envDocs documents the expression environment.
func envDocs() []KeyDoc {
	return []KeyDoc{
		{"event.id / source / kind", "string", "Delivery id, source name, kind (form, email, crm, schedule).", `event.kind == "form"`},
		{"event.received_at", "time", "When the event arrived (use it for \"now\": expressions are deterministic).", `event.received_at.Hour() < 9`},
		{"event.email / name / phone / company", "string", "Normalised sender details.", `event.company != ""`},
		{"event.fields", "map", "All form / JSON fields; see has() and field().", `event.fields.plan == "enterprise"`},
		{"event.mail", "object", "Inbound email: from, from_name, to, cc, subject, text, html, message_id, headers, spam, spam_score, attachments.", `event.mail.spam_score < 5`},
		{"event.headers / query", "map", "Request headers (canonical names) and query parameters.", `event.query.utm_source == "ads"`},
		{"event.contact_id", "integer", "Deskera contact id the event is about (CRM webhooks).", `event.contact_id > 0`},
		{"contact", "object or nil", "The existing contact: id, name, email, phone, type, label, label_id, owner_id, visibility, custom, created_at, updated_at. nil when unknown: write `(contact?.label ?? \"\")` (a bare `contact?.label == \"x\"` is a runtime error when contact is nil) or `contact != nil && ...`.", `(contact?.label ?? "") == "Cold lead"`},
		{"score / scores", "number / map", "Total score and its named parts.", `scores.budget > 0`},
		{"score_label", "string", "The label the thresholds give the score.", `score_label == "Hot lead"`},
	}
}

// Reference renders the rules-file reference in Markdown
// (docs/rules-reference.md).
func Reference() string {
	var b strings.Builder
	b.WriteString("# Rules file reference\n\n")
	b.WriteString("<!-- Generated by `go run ./rules/internal/gendoc`; do not edit. A test fails when it is stale. -->\n\n")
	b.WriteString("The rules file (`LEADHOOK_RULES`, default `rules.example.yaml`) is YAML, decoded strictly: unknown keys, wrong types, undeclared labels or pools, and expression errors all fail the load, each reported as `file:line: rule \"name\": message`. `${VAR}` and `${VAR:-default}` are replaced in every value; an unset variable without a default is an error; `$${` is a literal `${`.\n\n")
	for _, s := range Sections() {
		fmt.Fprintf(&b, "## `%s`\n\n%s\n\n", s.Name, s.Doc)
		writeKeys(&b, s.Keys)
	}
	b.WriteString("## Actions\n\nEach action is a one-key mapping in a rule's `actions`.\n\n")
	for _, a := range ActionSpecs() {
		fmt.Fprintf(&b, "### `%s`\n\n%s\n\nDeskera calls: %s.\n\n```yaml\n- %s\n```\n\n", a.Name, a.Doc, a.Calls, indent(a.Example, "  "))
	}
	b.WriteString("### Contact fields (`set`)\n\n| field | type | meaning |\n|---|---|---|\n")
	for _, f := range ContactFieldSpecs() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, f.Type, f.Doc)
	}
	b.WriteString("\nValues are expressions (quote string literals: `'\"Warm lead\"'`); a nil or empty value leaves the field alone.\n\n")
	b.WriteString("## Expression environment\n\n")
	fmt.Fprintf(&b, "Expressions are [expr](https://expr-lang.org) programs compiled once at load against a typed environment (at most %d nodes each). `when` must be bool, scores numeric, `set` values of the field's type.\n\n", MaxNodes)
	b.WriteString("| name | type | meaning | example |\n|---|---|---|---|\n")
	for _, e := range envDocs() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", e.Key, e.Type, e.Doc, e.Example)
	}
	b.WriteString("\n## Helper functions\n\nBesides expr's built-ins (`lower`, `upper`, `trim`, `split`, `len`, `matches`, `any`, `all`, ...; `now()` is disabled so evaluation is deterministic):\n\n")
	for _, h := range Helpers() {
		fmt.Fprintf(&b, "### `%s`\n\n`%s`: %s\n\n```\n%s  // %s\n```\n\n", h.Name, h.Signature, h.Doc, h.Example, h.Result)
	}
	return b.String()
}

func writeKeys(b *strings.Builder, keys []KeyDoc) {
	for _, k := range keys {
		fmt.Fprintf(b, "- **`%s`** (%s): %s\n\n  ```yaml\n  %s\n  ```\n\n", k.Key, k.Type, k.Doc, indent(k.Example, "  "))
	}
}

func indent(s, pre string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pre)
}

// sortedKeys returns the documented keys of a section, sorted.
func (s Section) sortedKeys() []string {
	out := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		out[i] = k.Key
	}
	slices.Sort(out)
	return out
}
