package rules

import (
	"fmt"
	"strings"
)

func rootKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"labels", "list", "Labels rules may assign. Names resolve to Deskera label ids at start-up (cached, refreshed on a miss); `create: true` creates a missing one.", "labels:\n  - {name: Hot lead, color: deep-orange, icon: whatshot}\n  - Warm lead"},
		{"owners", "mapping of pools", "Owner pools for assign_owner: pool name -> list of user ids, each optionally weighted.", "owners:\n  sales: [17826, 21584]\n  enterprise:\n    - {id: 2675, weight: 2}\n    - 17826"},
		{"sources", "mapping", "Inbound endpoints, POST /hooks/<name>, with their payload format and authentication.", "sources:\n  website:\n    format: form\n    auth: {type: hmac-sha256, header: X-Signature, secret: '${WEBSITE_SECRET:-dev-website-secret}'}"},
		{"scores", "mapping of expressions", "Named score parts, each a numeric expression; their sum is the event's score (`event_score`, parts `event_scores.<name>`), which `scoring` combines with the contact's stored score into `score` and `scores.<name>`. Inside a score expression score, scores, stored_score and event_score are 0.", "scores:\n  budget: 'number(field(\"budget\")) >= 10000 ? 40 : 0'\n  business_email: 'is_free_email(event.email) ? 0 : 20'"},
		{"scoring", "mapping", "Where a contact's score is kept between events and how a new event's score combines with it (see below). Without it: stored in `Lead score`, `Lead score at` and `Lead score parts`, combined by `max`, no decay.", "scoring: {combine: max, half_life: 90d}"},
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
		{"browser", "mapping", "Take posts straight from web pages: answers for people, allowed origins (CORS), honeypot, captcha, rate limits (see below).", "browser:\n  redirect: https://www.example.com/thanks\n  allowed_origins: [https://www.example.com]\n  honeypot: _gotcha"},
	}
}

func browserKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"redirect", "URL", "Where a taken plain form post is sent: 303 See Other to this absolute URL. Unset: a built-in thank-you page.", "redirect: https://www.example.com/thanks"},
		{"lead_param", "bool", "Add `?lead=<delivery id>` to redirect (default false).", "lead_param: true"},
		{"error_redirect", "URL", "Where a refused or failed plain form post is sent: 303 to this URL with `?error=<reason>` (invalid, spam, captcha, origin, rate_limited, unavailable). Unset: a built-in error page with the status.", "error_redirect: https://www.example.com/oops"},
		{"spam_answer", "string", "How a submission blocked as spam (honeypot filled, sent faster than min_submit_time, reCAPTCHA v3 score under min_score) is answered: `success` (default: exactly like a taken one, so bots learn nothing; nothing is acted on) or `error` (403, the error page).", "spam_answer: error"},
		{"allowed_origins", "list", "Origins pages may post from: exact (`https://www.example.com`, `http://localhost:8000`) or a subdomain wildcard (`*.example.com`: https, any subdomain, not example.com itself). Allowed ones get CORS (preflight, Access-Control-Allow-Origin with that origin, never `*`, never credentials); others, `null`, and look-alikes (example.com.evil.com) are refused with 403. A plain form post is checked on Origin, else Referer, when the browser sends one. Unset: no CORS and no origin check.", "allowed_origins: [https://www.example.com, '*.example.com']"},
		{"honeypot", "string", "A form field people never fill (hide it with CSS); filled means spam, counted in leadhook_browser_blocked_total{reason=\"honeypot\"}. The field never reaches the rules.", "honeypot: _gotcha"},
		{"min_submit_time", "duration", "A submission sent sooner than this after the page was rendered is spam; the page writes Date.now() into rendered_field. A submission without the field is let through (no script ran).", "min_submit_time: 3s"},
		{"rendered_field", "string", "Field holding the page's render time in Unix milliseconds (default `_rendered_at`); never reaches the rules.", "rendered_field: _t"},
		{"captcha", "mapping", "Check the captcha token with the provider (see below).", "captcha: {provider: turnstile, secret: '${TURNSTILE_SECRET}'}"},
		{"rate_limit", "mapping", "Per-IP and per-source token buckets (see below).", "rate_limit: {per_ip: 5/m, per_source: 100/m}"},
		{"disposable_email", "string", "`allow` (default; rules can still label them with is_disposable_email) or `refuse`: a submission whose event.email is at a disposable service is refused, 422 naming field email.", "disposable_email: refuse"},
	}
}

func captchaKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"provider", "string", "One of: " + strings.Join(CaptchaProviders(), ", ") + " (Cloudflare Turnstile, Google reCAPTCHA v2 or v3, hCaptcha).", "provider: turnstile"},
		{"secret", "secret", "The provider's secret key; use ${VAR}. Never logged.", "secret: '${TURNSTILE_SECRET}'"},
		{"min_score", "number 0..1", "recaptcha only: v3's score threshold, a lower score is spam (see spam_answer). Unset: v2, no score.", "min_score: 0.5"},
		{"field", "string", "Form field with the token (default cf-turnstile-response, g-recaptcha-response or h-captcha-response); never reaches the rules.", "field: captcha_token"},
		{"verify_url", "URL", "Override the provider's siteverify URL (a proxy, or a test's fake).", "verify_url: http://127.0.0.1:9000/siteverify"},
		{"timeout", "duration", "Bound on one siteverify call (default 5s, at most 20s); a timeout is a temporary failure.", "timeout: 3s"},
	}
}

func rateLimitKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"per_ip", "rate", "Each client IP's bucket: `N/s`, `N/m`, `N/h` or `N/<duration>`.", "per_ip: 5/m"},
		{"per_source", "rate", "The source's bucket, whatever the IP.", "per_source: 100/m"},
		{"max_clients", "integer", "Client IPs tracked at once (default 10000); the least recently seen is forgotten first, so memory stays bounded.", "max_clients: 50000"},
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

func scoringKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"store", "bool", "Keep each contact's score in its custom fields (default true when the file has scores). false: every event and the sweep score from scratch, as if nothing was known.", "store: false"},
		{"field", "string", "Custom field (name, or code like D-0000042) holding the score, e.g. `90` (default `Lead score`). Create it in Deskera (a text field: the API gives custom-field values as strings); a POST or PATCH Deskera refuses naming it is answered 503 (our configuration), never as the delivery's fault.", "field: Lead score"},
		{"at_field", "string", "Custom field holding when the score was last raised, RFC 3339 UTC, e.g. `2026-01-15T10:00:00Z` (default `Lead score at`); decay counts from it.", "at_field: Lead score at"},
		{"parts_field", "string", "Custom field holding the score's non-zero parts, e.g. `budget=40; business_email=20` (default `Lead score parts`; empty: not stored, and a stored score that wins has parts 0).", "parts_field: Lead score parts"},
		{"combine", "string", "How an event's score combines with the stored one: `max` (default: the higher of the two, so a thinner form never downgrades a lead; the stored one is replaced only when the event's is higher) or `latest` (the event's score, whatever it is). Either way the winner's parts are `scores`.", "combine: latest"},
		{"half_life", "duration", "Decay: a stored score counts half after this long without being raised (`30d`, `2w`, `720h`; default none). Applied when an event is evaluated (at `event.received_at`) and by the sweep (at its start), never written back.", "half_life: 30d"},
	}
}

func sweepKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"when", "bool expression", "Only contacts for which this is true are relabelled (the env has `contact`, `score`, `scores`, `stored_score`).", "when: 'contact.email != \"\" && contact.label != \"Customer\"'"},
		{"page_size", "integer 1..1000", "Contacts per list page (default 100).", "page_size: 200"},
		{"chunk_size", "integer 1..1000", "Most ids per bulk PATCH (default 100).", "chunk_size: 500"},
		{"keep_labels", "list", "Declared labels the sweep never changes (their contacts still run the owner rules).", "keep_labels: [Customer]"},
		{"rules", "list", "Owner rules (see sweep.rules[]): the contacts they match get a new owner, in the same bulk PATCHes as the relabelling (one per distinct label and owner change per chunk).", "rules:\n  - name: orphaned-to-sales\n    when: 'contact.owner_id in [0, 99999]'\n    assign_owner: {pool: sales}"},
	}
}

func sweepRuleKeyDocs() []KeyDoc {
	return []KeyDoc{
		{"name", "string", "Unique sweep rule name (in messages and results).", "name: orphaned-to-sales"},
		{"description", "string", "What the rule is for.", "description: Contacts of reps who left go to the sales pool"},
		{"when", "bool expression", "Required; over `contact` (and `event`, a schedule event; not the score). sweep.when does not apply: it filters the relabelling only.", "when: 'contact.owner_id in [0, 99999]'"},
		{"assign_owner", "id or {id}/{pool}", "Required: the new owner, a user id or a pool routed by the contact key exactly as an event's assign_owner (so a contact gets the owner a new event of it would). When several rules match, the later wins; a contact that already has it is left alone.", "assign_owner: {pool: sales}"},
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
		{"score / scores", "number / map", "The combined score (the stored one and the event's, by `scoring.combine`) and its named parts.", `scores.budget > 0`},
		{"score_label", "string", "The label the thresholds give the combined score.", `score_label == "Hot lead"`},
		{"stored_score", "number", "The contact's stored score, decayed to the event's time (0 when it has none).", `stored_score >= 60 && event_score < 30`},
		{"event_score / event_scores", "number / map", "This event's own score and parts, before combining.", `event_scores.budget > 0`},
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
