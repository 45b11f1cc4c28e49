package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// levenshtein is the edit distance between a and b (bytes; names are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// closest returns the candidate nearest to name, "" when none is close
// enough to be a likely typo (at most a third of the name's length, at
// least one edit). Case is ignored.
func closest(name string, candidates []string) string {
	best, bestD := "", -1
	lname := strings.ToLower(name)
	limit := max(1, len(name)/4)
	if len(name) >= 4 {
		limit = max(2, limit) // a swap of two letters is two edits
	}
	for _, c := range candidates {
		d := levenshtein(lname, strings.ToLower(c))
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean is `; did you mean "x"?` for the closest candidate, or "".
func didYouMean(name string, candidates []string) string {
	if c := closest(name, candidates); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

// exprFields returns the expr names of a struct type's fields.
func exprFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}

// exprStructs names the types expressions see, as users write them.
var exprStructs = map[string]struct {
	name string
	typ  reflect.Type
}{
	"rules.Event":   {"event", reflect.TypeFor[Event]()},
	"rules.Mail":    {"event.mail", reflect.TypeFor[Mail]()},
	"rules.Contact": {"contact", reflect.TypeFor[Contact]()},
	"rules.Env":     {"the expression", reflect.TypeFor[Env]()},
}

// exprNames are the names an expression can use at the top level.
func exprNames() []string {
	names := exprFields(reflect.TypeFor[Env]())
	for _, h := range helpers() {
		names = append(names, h.Name)
	}
	return append(names, "lower", "upper", "trim", "split", "len", "any", "all", "none", "one",
		"filter", "map", "count", "join", "trimPrefix", "trimSuffix", "hasPrefix", "hasSuffix",
		"abs", "round", "floor", "ceil", "max", "min", "sum", "int", "float", "string", "duration", "date", "first", "last",
		"keys", "values", "sort", "reduce", "nil", "true", "false")
}

var (
	reNoField     = regexp.MustCompile(`^type (\*?[\w.]+) has no field (\w+)`)
	reUnknownName = regexp.MustCompile(`^unknown name (\w+)`)
	reGoType      = regexp.MustCompile(`map\[string\]interface \{\}|map\[string\]float64|map\[string\]string|\[\]interface \{\}|\[\]string|\[\]int64|interface \{\}|\*?rules\.Contact|\*?rules\.Event|rules\.Mail|time\.Time|time\.Duration|\b(?:float64|float32|int64|int32|int)\b`)
)

// goTypeWords maps Go type names in expr's messages to the rules' words.
var goTypeWords = map[string]string{
	"map[string]interface {}": "map", "map[string]float64": "map of numbers", "map[string]string": "map of strings",
	"[]interface {}": "list", "[]string": "list of strings", "[]int64": "list of integers", "interface {}": "any",
	"rules.Contact": "contact", "*rules.Contact": "contact", "rules.Event": "event", "*rules.Event": "event",
	"rules.Mail": "mail", "time.Time": "time", "time.Duration": "duration",
	"float64": "number", "float32": "number", "int64": "number", "int32": "number", "int": "number",
}

// plainTypes replaces Go type names in msg with the words the rules
// reference uses.
func plainTypes(msg string) string {
	return reGoType.ReplaceAllStringFunc(msg, func(s string) string { return goTypeWords[s] })
}

// typeWord names a static expression type for messages.
func typeWord(t reflect.Type) string {
	if t == nil {
		return "any"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a bool"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Interface:
		return "any value"
	}
	if isNumberKind(t.Kind()) {
		return "a number"
	}
	return plainTypes(t.String())
}

// friendlyExprError rewrites one line of an expr compile error into the
// rules' words: no Go type names, and a suggestion for a misspelt name.
// call reports whether the unknown name is called as a function; fieldFn
// names has or field when it is their argument (a field name to quote).
func friendlyExprError(msg string, call bool, fieldFn string) string {
	loc := ""
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg, loc = msg[:i], msg[i:]
	}
	switch {
	case reNoField.MatchString(msg):
		m := reNoField.FindStringSubmatch(msg)
		s, ok := exprStructs[strings.TrimPrefix(m[1], "*")]
		if ok {
			msg = fmt.Sprintf("%s has no field %q%s", s.name, m[2], didYouMean(m[2], exprFields(s.typ)))
		}
	case reUnknownName.MatchString(msg):
		name := reUnknownName.FindStringSubmatch(msg)[1]
		switch {
		case fieldFn != "":
			msg = fmt.Sprintf("unknown name %q; a form field's name is a quoted string: %s(%q)", name, fieldFn, name)
		case call:
			var fns []string
			for _, h := range helpers() {
				fns = append(fns, h.Name)
			}
			msg = fmt.Sprintf("unknown function %q%s", name, didYouMean(name, fns))
		default:
			if hint := didYouMean(name, exprNames()); hint != "" {
				msg = fmt.Sprintf("unknown name %q%s", name, hint)
				break
			}
			msg = fmt.Sprintf("unknown name %q (names: event, contact, score, scores, score_label, stored_score, event_score, event_scores; a form field is field(%q))", name, name)
		}
	}
	return plainTypes(msg) + loc
}

// fieldEnums are the contact fields whose constant values are checked.
var fieldEnums = map[string][]string{"visibility_type": VisibilityTypes, "type": ContactTypes}

// mapKeys returns the keys of m, sorted.
func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// valueKind names a run-time value's type in the rules' words ("a
// string", "a list", "nothing"), never a Go type name.
func valueKind(v any) string {
	if v == nil {
		return "nothing"
	}
	return typeWord(reflect.TypeOf(v))
}
