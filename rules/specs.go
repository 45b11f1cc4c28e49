package rules

import yaml "go.yaml.in/yaml/v3"

// ActionSpec documents one action type; the reference is generated from
// ActionSpecs and the loader decodes actions through the same table.
type ActionSpec struct {
	Name string
	Doc  string
	// Calls says which Deskera calls the action can lead to.
	Calls   string
	Example string // YAML, one item of a rule's actions list
	decode  func(l *loader, v *yaml.Node, rule string, set *Set, a *action) bool
}

// ActionSpecs returns the action types in reference order.
func ActionSpecs() []ActionSpec {
	out := actionSpecs()
	for i := range out {
		out[i].decode = nil
	}
	return out
}

func actionSpecs() []ActionSpec {
	contact := func(matchOn bool) func(*loader, *yaml.Node, string, *Set, *action) bool {
		return func(l *loader, v *yaml.Node, rule string, set *Set, a *action) bool {
			return l.contactOptions(v, rule, set, a, matchOn)
		}
	}
	return []ActionSpec{
		{Name: ActionUpsertContact,
			Doc:   "Find the contact by `match_on` (email, the default, or phone) and update it, or create it. `set` maps contact fields to expressions; `custom` maps custom-field codes (e.g. D-0000013) or names to string expressions. Label and owner actions of the same event ride along in the same POST or PATCH.",
			Calls: "search (GET /v1/crm/contacts) + POST /v1/crm/contacts, or + PATCH /v1/crm/contacts/{id} only when something changes",
			Example: `upsert_contact:
  match_on: email
  set: {name: 'coalesce(event.name, event.email)', organization_name: event.company, phone: event.phone}
  custom: {Source: event.source}`,
			decode: contact(true)},
		{Name: ActionCreateContact,
			Doc:     "Create the contact when none exists (an existing contact is left alone). Same `set` and `custom` as upsert_contact.",
			Calls:   "POST /v1/crm/contacts",
			Example: "create_contact: {set: {name: event.mail.from_name, email: event.mail.from, note: event.mail.subject}}",
			decode:  contact(false)},
		{Name: ActionUpdateContact,
			Doc:     "Update the event's contact (the one found, the one named by event.contact_id, or the one created earlier in the plan). Skipped when there is none.",
			Calls:   "PATCH /v1/crm/contacts/{id}, merged with the event's other changes",
			Example: "update_contact: {set: {note: '\"Asked for pricing: \" + event.mail.subject'}}",
			decode:  contact(false)},
		{Name: ActionAssignLabel,
			Doc:     "Give the contact a declared label, by name, or the label the thresholds give the score (`{from: score}`).",
			Calls:   "none of its own: rides in the POST/PATCH; in a delivery of several contacts (a Deskera webhook batch) and in the sweep, one bulk PATCH per distinct (label, owner) change per chunk",
			Example: "assign_label: Hot lead",
			decode:  (*loader).labelOptions},
		{Name: ActionAssignOwner,
			Doc:     "Give the contact an owner: a fixed user id, or one from a pool by weighted rendezvous hashing of the contact key (lowercased email, else phone digits, else contact id), so retries and replicas agree and adding an owner to a pool of N moves only about 1/(N+1) of the contacts.",
			Calls:   "none of its own: rides in the POST/PATCH; in a delivery of several contacts (a Deskera webhook batch), one bulk PATCH per distinct (label, owner) change per chunk (sweep.rules and `leadhook reassign` likewise)",
			Example: "assign_owner: {pool: sales}",
			decode:  (*loader).ownerOptions},
		{Name: ActionSetVisibility,
			Doc:     "Set the contact's visibility type, one of `private`, `public` or `team` (and optionally ids); another value is refused at load.",
			Calls:   "none of its own: rides in the POST/PATCH",
			Example: "set_visibility: {type: team}",
			decode: func(l *loader, v *yaml.Node, rule string, _ *Set, a *action) bool {
				return l.visibilityOptions(v, rule, a)
			}},
		{Name: ActionDeleteContact,
			Doc:     "Delete the event's contact; other changes to it in the same plan are dropped. Skipped when there is no contact.",
			Calls:   "DELETE /v1/crm/contacts/{id}",
			Example: "delete_contact: {}",
			decode: func(l *loader, v *yaml.Node, rule string, _ *Set, _ *action) bool {
				return l.deleteOptions(v, rule)
			}},
	}
}

// KeyDoc documents one key of the rules file.
type KeyDoc struct {
	Key     string
	Type    string
	Doc     string
	Example string
}

// Section documents one mapping of the rules file.
type Section struct {
	Name  string
	Doc   string
	Keys  []KeyDoc
	order func() map[string]fieldFunc // the decoder's keys, for the drift test
}

// Sections returns the documented sections of the rules file.
func Sections() []Section {
	l := &loader{}
	set := newSet("")
	var (
		lab  Label
		own  Owner
		pol  SweepPolicy
		sp   ScorePolicy
		sr   SweepRule
		src  Source
		auth Auth
		brw  Browser
		cap  Captcha
		rl   RateLimit
		r    rule
		node *yaml.Node
	)
	return []Section{
		{Name: "top level", Doc: "The rules file is one YAML mapping; sections may come in any order.", Keys: rootKeyDocs(),
			order: func() map[string]fieldFunc { return rootFields(l, set) }},
		{Name: "labels[]", Doc: "A label is a mapping, or just its name.", Keys: labelKeyDocs(),
			order: func() map[string]fieldFunc { return labelFields(l, &lab) }},
		{Name: "owners.<pool>[]", Doc: "A pool member is a user id, or a mapping.", Keys: ownerKeyDocs(),
			order: func() map[string]fieldFunc { return ownerFields(l, &own) }},
		{Name: "sources.<name>", Doc: "Each source is an endpoint, POST /hooks/<name>.", Keys: sourceKeyDocs(),
			order: func() map[string]fieldFunc { return sourceFields(l, &src, "", &node) }},
		{Name: "sources.<name>.auth", Doc: "Which keys apply depends on type; each type lists the keys it needs.", Keys: authKeyDocs(),
			order: func() map[string]fieldFunc { return authFields(l, &auth, "", map[string]*yaml.Node{}) }},
		{Name: "sources.<name>.browser", Doc: "For pages that post straight from the visitor's browser (formats form and json, usually with `auth: {type: none}`): a plain form post is answered for people (303 to `redirect`, or a built-in thank-you page; refusals to `error_redirect` or a built-in error page), a request asking for JSON (`Accept: application/json`, or `fetch` in CORS mode) gets the usual JSON. The checks run in this order: origin, rate limits, body, honeypot, render time, captcha, disposable address; nothing is acted on until all pass.", Keys: browserKeyDocs(),
			order: func() map[string]fieldFunc { return browserFields(l, &brw, "") }},
		{Name: "sources.<name>.browser.captcha", Doc: "The token the provider's widget put in the form is checked with its siteverify endpoint. A provider that cannot be reached, answers an error, or rejects our secret is a temporary failure (503 + Retry-After, or the error page): never taken, never silently dropped.", Keys: captchaKeyDocs(),
			order: func() map[string]fieldFunc { return captchaFields(l, &cap, "", map[string]bool{}) }},
		{Name: "sources.<name>.browser.rate_limit", Doc: "Token buckets: `\"5/m\"` lets 5 through at once and refills 5 a minute. Over the limit: 429 with Retry-After (JSON) or the error page. The client IP is the one --trusted-proxies gives (X-Forwarded-For only from trusted proxies).", Keys: rateLimitKeyDocs(),
			order: func() map[string]fieldFunc { return rateLimitFields(l, &rl, "") }},
		{Name: "scoring", Doc: "A contact's score is stored on it in Deskera, inside the POST that creates it or the PATCH of a plan that acts on it (an unchanged score adds nothing; a changed one alone makes that PATCH), and read back from the searched contact on its next event and in the sweep. A plan with no action on the contact stores nothing. A stored value that is not a number is ignored and replaced by the next event's.", Keys: scoringKeyDocs(),
			order: func() map[string]fieldFunc { return scoringFields(l, &sp, map[string]*yaml.Node{}) }},
		{Name: "sweep", Doc: "The scoring sweep (`leadhook sweep`, or a schedule) relabels every contact by the thresholds. A contact with a stored score keeps it (decayed by `scoring.half_life`): the sweep is an event with no score of its own, so without decay it never changes the label of a contact whose stored score still maps to it. A contact without one is re-scored from its CRM fields (`contact`; `event` is an empty schedule event).", Keys: sweepKeyDocs(),
			order: func() map[string]fieldFunc { return sweepFields(l, set, &pol) }},
		{Name: "sweep.rules[]", Doc: "An owner rule of the sweep; `leadhook reassign --from-owner ID (--pool NAME | --to-owner ID)` runs one such rule on the contacts of one owner without relabelling.", Keys: sweepRuleKeyDocs(),
			order: func() map[string]fieldFunc { return sweepRuleFields(l, &sr, &node, &node) }},
		{Name: "rules[]", Doc: "Rules run in file order; each matched rule adds its actions to the plan.", Keys: ruleKeyDocs(),
			order: func() map[string]fieldFunc { return ruleFields(l, &r, &node, &node) }},
	}
}

// decoderKeys returns the keys the decoder accepts for the section (for
// the test that keeps the documentation in step with the code).
func (s Section) decoderKeys() []string {
	var out []string
	for k := range s.order() {
		out = append(out, k)
	}
	return out
}
