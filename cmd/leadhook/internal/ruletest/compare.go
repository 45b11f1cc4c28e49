package ruletest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/leadhook/leadhook/rules"
)

// compare checks every written expectation against what was observed.
func compare(e *Expect, obs *observed) []string {
	var fails []string
	if msg := compareError(e, obs.err); msg != "" {
		return []string{msg}
	}
	if obs.err != nil {
		return nil // the expected error happened; nothing else is checked
	}
	check := func(key string, want, got any) {
		if !e.Has(key) {
			return
		}
		w, g := normalize(want), normalize(got)
		if !match(w, g) {
			fails = append(fails, key+": expected (-) vs got (+):\n"+diff(render(w), render(project(w, g))))
		}
	}
	if obs.plan != nil || obs.sweep == nil {
		planChecks(e, obs, check, &fails)
	}
	check("sweep", e.Sweep, withoutCalls(obs.sweep))
	check("calls", e.Calls, callStrings(e.Calls, obs))
	check("contact_count", e.ContactCount, len(obs.contacts))
	if e.Has("contacts") {
		fails = append(fails, compareContacts(e.Contacts, obs.contacts)...)
	}
	return fails
}

func compareError(e *Expect, err error) string {
	switch {
	case e.Error == "" && err != nil:
		return "unexpected error: " + errText(err)
	case e.Error != "" && err == nil:
		return fmt.Sprintf("expected an error containing %q, got none", e.Error)
	case e.Error != "" && !strings.Contains(errText(err), e.Error):
		return fmt.Sprintf("expected an error containing %q, got: %s", e.Error, errText(err))
	}
	return ""
}

func planChecks(e *Expect, obs *observed, check func(string, any, any), fails *[]string) {
	plan := obs.plan
	if plan == nil {
		plan = &rules.Plan{}
	}
	var matched, errored []string
	for _, r := range plan.Rules {
		if r.Matched {
			matched = append(matched, r.Name)
		}
		if r.Error != "" {
			errored = append(errored, r.Name)
		}
	}
	check("matched", e.Matched, orEmpty(matched))
	check("errored", e.Errored, orEmpty(errored))
	for _, name := range e.NotMatched {
		if slices.Contains(matched, name) {
			*fails = append(*fails, fmt.Sprintf("not_matched: rule %q matched", name))
		}
	}
	check("score", e.Score, plan.Score)
	check("scores", e.Scores, plan.Scores)
	check("score_label", e.ScoreLabel, plan.ScoreLabel)
	check("event", e.Event, obs.event)
	check("actions", e.Actions, plan.Actions)
	check("results", e.Results, obs.results)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// callStrings renders the calls as "METHOD /path", with the query only
// when the expectation at that position has one.
func callStrings(want []string, obs *observed) []string {
	out := make([]string, len(obs.calls))
	for i, c := range obs.calls {
		p := c.Path
		if i >= len(want) || !strings.Contains(want[i], "?") {
			p, _, _ = strings.Cut(p, "?")
		}
		out[i] = c.Method + " " + p
	}
	return out
}

func withoutCalls(v any) any {
	m, ok := normalize(v).(map[string]any)
	if !ok {
		return v
	}
	delete(m, "calls")
	return m
}

// compareContacts finds each expected contact by id, else email, and
// compares it.
func compareContacts(want, got []map[string]any) []string {
	var fails []string
	for i, w := range want {
		wn := normalize(w).(map[string]any)
		g := findContact(wn, got)
		if g == nil {
			fails = append(fails, fmt.Sprintf("contacts[%d]: no contact with %s in the CRM; it has:\n%s", i, contactKey(wn), render(normalize(summaries(got)))))
			continue
		}
		if !match(wn, g) {
			fails = append(fails, fmt.Sprintf("contacts[%d] (%s): expected (-) vs got (+):\n%s", i, contactKey(wn), diff(render(wn), render(project(wn, g)))))
		}
	}
	return fails
}

func findContact(w map[string]any, got []map[string]any) map[string]any {
	for _, g := range got {
		if id, ok := w["id"]; ok {
			if match(id, g["id"]) {
				return normalize(g).(map[string]any)
			}
			continue
		}
		if email, ok := w["email"].(string); ok && strings.EqualFold(email, fmt.Sprint(g["email"])) {
			return normalize(g).(map[string]any)
		}
	}
	return nil
}

func contactKey(w map[string]any) string {
	if id, ok := w["id"]; ok {
		return fmt.Sprintf("id %v", id)
	}
	return fmt.Sprintf("email %q", w["email"])
}

func summaries(cs []map[string]any) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%v %v (%v)", c["id"], c["email"], c["label"]))
	}
	return out
}

// normalize turns a value into its JSON shape (maps, lists, float64,
// strings, bools, nil), so expectations from YAML and results from Go
// compare alike.
func normalize(v any) any {
	if v == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	data, err := json.Marshal(fixYAML(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

// fixYAML converts YAML-decoded values JSON cannot marshal
// (map[any]any) and times to RFC 3339.
func fixYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = fixYAML(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = fixYAML(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fixYAML(e)
		}
		return out
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// match reports whether got has everything want has (maps partially,
// lists item by item, a missing value as the zero value).
func match(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for k, wv := range w {
			if !match(wv, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, _ := got.([]any)
		if len(w) != len(g) {
			return false
		}
		for i := range w {
			if !match(w[i], g[i]) {
				return false
			}
		}
		return true
	case float64:
		g, _ := got.(float64)
		return math.Abs(w-g) < 1e-9
	case string:
		g, _ := got.(string)
		return w == g
	case bool:
		g, _ := got.(bool)
		return w == g
	case nil:
		return got == nil
	}
	return reflect.DeepEqual(want, got)
}

// project keeps of got the parts want mentions, for a readable diff.
func project(want, got any) any {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(w))
		for k := range w {
			out[k] = project(w[k], g[k])
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return got
		}
		out := make([]any, len(g))
		for i := range g {
			if i < len(w) {
				out[i] = project(w[i], g[i])
			} else {
				out[i] = g[i]
			}
		}
		return out
	}
	if match(want, got) {
		return want // equal in value (e.g. 0 and a missing number)
	}
	return got
}

func render(v any) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimRight(string(data), "\n")
}

// diff is a line diff: "- " expected only, "+ " got only, "  " both.
func diff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the LCS length of x[i:], y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out = append(out, "  "+x[i])
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+x[i])
			i++
		default:
			out = append(out, "+ "+y[j])
			j++
		}
	}
	return strings.Join(out, "\n")
}
