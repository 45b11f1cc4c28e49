package webhook

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Jotform webhooks: multipart/form-data whose rawRequest field is a JSON
// string of the answers, keyed q<N>_<name>; name answers are objects
// {first,last}, uploads URL arrays. Unsigned.

var jotformKey = regexp.MustCompile(`^q\d+_(.+)$`)

func parseJotform(src rules.Source, req *Request, maxMem int64) (*Parsed, error) {
	form, err := readForm(req, maxMem)
	if err != nil {
		return nil, err
	}
	answers := map[string]any{}
	if raw := form.get("rawRequest", nil); raw != "" {
		if err := json.Unmarshal([]byte(raw), &answers); err != nil {
			return nil, BadRequest("rawRequest", "invalid JSON: %v", err)
		}
	} else {
		for k := range form.values {
			if k != "_charset_" {
				answers[k] = form.get(k, nil) // the first value, as before
			}
		}
	}
	if len(answers) == 0 {
		return nil, BadRequest("rawRequest", "missing")
	}
	ev := NewEvent(req, src.Name, rules.KindForm)
	jotformAnswers(&ev, answers)
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	ev.Fields["form_id"] = form.get("formID", nil)
	ev.Fields["form_title"] = form.get("formTitle", nil)
	if form.files > 0 {
		ev.Fields[FilesField] = int64(form.files)
	}
	ev.ID = form.get("submissionID", nil)
	return oneEvent(ev, ev.ID), nil
}

// jotformAnswers copies the q<N>_<name> answers (and upload URL lists)
// under their names, in key order so the first name answer wins.
func jotformAnswers(ev *rules.Event, answers map[string]any) {
	keys := make([]string, 0, len(answers))
	for k := range answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if m := jotformKey.FindStringSubmatch(k); m != nil {
			name = m[1]
		} else if _, isList := answers[k].([]any); !isList {
			continue
		}
		v, isName := jotformValue(answers[k])
		if v == nil {
			continue
		}
		ev.Fields[name] = v
		if isName && ev.Name == "" {
			ev.Name = rules.ValueText(v)
		}
	}
}

// jotformValue flattens name ({first,last}) and phone ({full} or
// {area,phone}) objects to text; empty answers yield nil.
func jotformValue(v any) (out any, isName bool) {
	switch t := v.(type) {
	case string:
		if strings.TrimSpace(t) == "" {
			return nil, false
		}
		return t, false
	case map[string]any:
		if _, ok := t["first"]; ok {
			parts := []string{}
			for _, p := range []string{"prefix", "first", "middle", "last", "suffix"} {
				if s := strings.TrimSpace(rules.ValueText(t[p])); s != "" {
					parts = append(parts, s)
				}
			}
			return jotformNonEmpty(strings.Join(parts, " ")), true
		}
		if full, ok := t["full"]; ok {
			return jotformNonEmpty(rules.ValueText(full)), false
		}
		if _, ok := t["phone"]; ok {
			return jotformNonEmpty(strings.TrimSpace(rules.ValueText(t["area"]) + " " + rules.ValueText(t["phone"]))), false
		}
		for _, e := range t {
			if rules.ValueText(e) != "" {
				return t, false
			}
		}
		return nil, false
	default:
		return v, false
	}
}

func jotformNonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
