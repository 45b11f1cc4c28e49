package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SchemaURL is where editors fetch the rules file's JSON Schema
// (docs/rules.schema.json on the main branch); rules.example.yaml names
// it in its `# yaml-language-server: $schema=` line.
const SchemaURL = "https://raw.githubusercontent.com/leadhook/leadhook/main/docs/rules.schema.json"

// Schema renders the JSON Schema (draft-07, the draft the YAML language
// server and JetBrains IDEs support) of the rules file
// (docs/rules.schema.json), from the same spec as Reference: Sections
// for the keys, ActionSpecs for the actions, ContactFieldSpecs for `set`,
// Formats and AuthTypes for the enums. It is as strict as the loader
// about keys (unknown keys, unknown actions, missing required keys, keys
// an auth type does not use) and never stricter about values: a scalar
// the loader converts (`page_size: "100"`, `create: yes`, a ${VAR}) is
// accepted; expressions, declared labels and pools are left to
// `leadhook validate`.
func Schema() ([]byte, error) {
	g := schemaGen{sections: Sections()}
	root, err := g.section("top level", "")
	if err != nil {
		return nil, err
	}
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["$id"] = SchemaURL
	root["title"] = "leadhook rules file"
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type obj = map[string]any

type schemaGen struct{ sections []Section }

// requiredKeys are the keys a section's mapping must have (the loader's
// "has no ..." errors).
var requiredKeys = map[string][]string{
	"labels[]":            {"name"},
	"owners.<pool>[]":     {"id"},
	"sources.<name>":      {"format", "auth"},
	"sources.<name>.auth": {"type"},
	"rules[]":             {"name", "when", "actions"},
}

// shorthands are the scalars a section's item may be instead of a
// mapping: a label by its name, a pool member by its user id.
var shorthands = map[string]func() obj{
	"labels[]":        scalarString,
	"owners.<pool>[]": func() obj { return integerSchema(nil, nil) },
}

// nullableSections may be null (an empty `sweep:` keeps the defaults).
var nullableSections = map[string]bool{"sweep": true}

// sectionNames are the names a section's mappings go by (source names).
var sectionNames = map[string]obj{
	"sources.<name>": {"pattern": "^[a-z0-9_-]+$"},
}

// keyOverrides are keys whose schema is not in their KeyDoc type.
func (g *schemaGen) keyOverrides(path string) (obj, bool) {
	switch path {
	case "rules[].actions":
		return actionsSchema(), true
	case "sources.<name>.format":
		return enumSchema(Formats()), true
	case "sources.<name>.auth.type":
		return enumSchema(AuthTypes()), true
	case "sources.<name>.auth.encoding":
		return enumSchema([]string{"hex", "base64"}), true
	}
	return nil, false
}

// section returns the schema of the mapping a section documents.
func (g *schemaGen) section(name, path string) (obj, error) {
	i := slices.IndexFunc(g.sections, func(s Section) bool { return s.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("schema: no section %q", name)
	}
	s := g.sections[i]
	props := obj{}
	for _, k := range s.Keys {
		kp := k.Key
		if path != "" {
			kp = path + "." + k.Key
		}
		ks, err := g.key(kp, k)
		if err != nil {
			return nil, err
		}
		ks["description"] = k.Doc
		props[k.Key] = ks
	}
	out := obj{"type": "object", "description": s.Doc, "properties": props, "additionalProperties": false}
	if req := requiredKeys[name]; len(req) > 0 {
		out["required"] = req
	}
	if name == "sources.<name>.auth" {
		out["allOf"] = authTypeRules()
	}
	if sh, ok := shorthands[name]; ok {
		return obj{"description": s.Doc, "anyOf": []any{sh(), out}}, nil
	}
	if nullableSections[name] {
		return obj{"description": s.Doc, "anyOf": []any{obj{"type": "null"}, out}}, nil
	}
	return out, nil
}

var childSectionRe = regexp.MustCompile(`^(\.<[a-z_]+>)?(\[\])?$`)

// key returns the schema of one key: its own section when one documents
// it (a list, a mapping of named items, or a mapping), else its type.
func (g *schemaGen) key(path string, k KeyDoc) (obj, error) {
	if o, ok := g.keyOverrides(path); ok {
		return o, nil
	}
	for _, s := range g.sections {
		rest, ok := strings.CutPrefix(s.Name, path)
		if !ok || !childSectionRe.MatchString(rest) {
			continue
		}
		item, err := g.section(s.Name, s.Name)
		if err != nil {
			return nil, err
		}
		named, list := strings.HasPrefix(rest, ".<"), strings.HasSuffix(rest, "[]")
		if list {
			item = nullable(obj{"type": "array", "items": item})
		}
		if named {
			m := obj{"type": "object", "additionalProperties": item}
			if pn, ok := sectionNames[strings.TrimSuffix(s.Name, "[]")]; ok {
				m["propertyNames"] = pn
			}
			item = nullable(m)
		}
		return item, nil
	}
	return typeSchema(path, k.Type)
}

var rangeRe = regexp.MustCompile(`^integer (\d+)\.\.(\d+)$`)

// typeSchema maps a KeyDoc type to a schema. An unknown type is an error
// (the schema test then names the key): add it here.
func typeSchema(path, typ string) (obj, error) {
	switch typ {
	case "string", "secret", "duration", "URL", "rate":
		return scalarString(), nil
	case "bool":
		return boolSchema(), nil
	case "integer":
		return integerSchema(nil, nil), nil
	case "number", "number 0..1":
		return numberSchema(), nil
	case "id or {id}/{pool}":
		// The same value as the assign_owner action's.
		return actionValueSchemas()[ActionAssignOwner], nil
	case "bool expression", "expression", "number expression", "string expression":
		return exprSchema(), nil
	case "list":
		// Items unknown to the spec: any (never stricter than the loader).
		return nullable(obj{"type": "array"}), nil
	case "list of strings":
		return nullable(obj{"type": "array", "items": scalarString()}), nil
	case "list of integers":
		return nullable(obj{"type": "array", "items": integerSchema(nil, nil)}), nil
	case "mapping":
		// A mapping without a section of its own: any keys.
		return nullable(obj{"type": "object"}), nil
	case "mapping of expressions":
		return nullable(obj{"type": "object", "additionalProperties": exprSchema()}), nil
	case "mapping label -> number":
		return nullable(obj{"type": "object", "additionalProperties": numberSchema()}), nil
	}
	if m := rangeRe.FindStringSubmatch(typ); m != nil {
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		return integerSchema(&lo, &hi), nil
	}
	return nil, fmt.Errorf("schema: key %q has type %q, which rules/schema.go does not map to a JSON Schema (add it to typeSchema, or a section for the key)", path, typ)
}

// varRef is a value the loader replaces with an environment variable.
func varRef() obj {
	return obj{"type": "string", "pattern": `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`}
}

// scalarString is what the loader reads as a string: any non-null scalar.
func scalarString() obj { return obj{"type": []string{"string", "number", "boolean"}} }

// exprSchema is an expression: a non-empty scalar (compiled by the loader).
func exprSchema() obj {
	return obj{"anyOf": []any{obj{"type": "string", "pattern": `\S`}, obj{"type": []string{"number", "boolean"}}}}
}

func integerSchema(lo, hi *int) obj {
	n := obj{"type": "integer"}
	if lo != nil {
		n["minimum"] = *lo
	}
	if hi != nil {
		n["maximum"] = *hi
	}
	return obj{"anyOf": []any{n, obj{"type": "string", "pattern": `^\s*[-+]?(0[xXoObB])?[0-9a-fA-F_]+\s*$`}, varRef()}}
}

func numberSchema() obj {
	return obj{"anyOf": []any{obj{"type": "number"}, obj{"type": "string", "pattern": `^\s*[-+]?[0-9.eE+_-]+\s*$`}, varRef()}}
}

// boolWords are the words the loader reads as booleans, in any case.
func boolWords(words ...string) string {
	var alts []string
	for _, w := range words {
		var b strings.Builder
		for _, r := range w {
			fmt.Fprintf(&b, "[%c%c]", r, r-'a'+'A')
		}
		alts = append(alts, b.String())
	}
	return `^\s*(` + strings.Join(alts, "|") + `)\s*$`
}

func boolSchema() obj {
	return obj{"anyOf": []any{obj{"type": "boolean"}, obj{"type": "string", "pattern": boolWords("true", "yes", "on", "false", "no", "off")}, varRef()}}
}

func enumSchema(values []string) obj {
	return obj{"anyOf": []any{obj{"type": "string", "enum": values}, varRef()}}
}

func nullable(o obj) obj { return obj{"anyOf": []any{obj{"type": "null"}, o}} }

// authTypeRules: each auth type needs its keys and accepts no others.
func authTypeRules() []any {
	var out []any
	for _, t := range AuthTypes() {
		req, opt := authKeys(t)
		allowed := append([]string{"type"}, req...)
		allowed = append(allowed, opt...)
		then := obj{"propertyNames": obj{"enum": allowed}}
		if len(req) > 0 {
			then["required"] = req
		}
		out = append(out, obj{
			"if":   obj{"properties": obj{"type": obj{"const": t}}, "required": []string{"type"}},
			"then": then,
		})
	}
	return out
}

// actionsSchema: a rule's actions, each a one-key mapping naming an
// action of ActionSpecs.
func actionsSchema() obj {
	props := obj{}
	for _, a := range ActionSpecs() {
		s, ok := actionValueSchemas()[a.Name]
		if !ok {
			s = obj{} // an action without a value schema: anything (validate checks it)
		}
		s = clone(s)
		s["description"] = a.Doc
		props[a.Name] = s
	}
	item := obj{"type": "object", "minProperties": 1, "maxProperties": 1, "properties": props, "additionalProperties": false}
	return obj{"type": "array", "items": item}
}

func clone(o obj) obj {
	c := make(obj, len(o)+1)
	for k, v := range o {
		c[k] = v
	}
	return c
}

// actionValueSchemas are the values each action takes (its decoder in
// actions.go); TestSchemaCoversActions fails for an action without one.
func actionValueSchemas() map[string]obj {
	set := obj{"type": "object", "additionalProperties": false, "properties": contactFieldProps()}
	custom := obj{"type": "object", "additionalProperties": exprSchema()}
	contact := func(extra obj) obj {
		props := obj{"set": nullable(set), "custom": nullable(custom)}
		for k, v := range extra {
			props[k] = v
		}
		return nullable(obj{"type": "object", "additionalProperties": false, "properties": props})
	}
	return map[string]obj{
		ActionUpsertContact: contact(obj{"match_on": enumSchema([]string{MatchEmail, MatchPhone})}),
		ActionCreateContact: contact(nil),
		ActionUpdateContact: contact(nil),
		ActionAssignLabel: {"anyOf": []any{scalarString(), obj{
			"type": "object", "additionalProperties": false, "minProperties": 1,
			"properties": obj{"name": scalarString(), "from": obj{"anyOf": []any{obj{"const": "score"}, varRef()}}},
			"not":        obj{"required": []string{"name", "from"}},
		}}},
		ActionAssignOwner: {"anyOf": []any{scalarString(), obj{
			"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1,
			"properties": obj{"id": integerSchema(nil, nil), "pool": scalarString()},
		}}},
		ActionSetVisibility: {"anyOf": []any{enumSchema(VisibilityTypes), obj{
			"type": "object", "additionalProperties": false, "required": []string{"type"},
			"properties": obj{"type": enumSchema(VisibilityTypes), "ids": scalarString()},
		}}},
		ActionDeleteContact: {"anyOf": []any{
			obj{"type": "null"}, obj{"type": "object", "maxProperties": 0},
			obj{"const": true}, obj{"type": "string", "pattern": boolWords("true", "yes", "on")}, varRef(),
		}},
	}
}

// contactFieldProps are the keys of `set`: each an expression.
func contactFieldProps() obj {
	props := obj{}
	for _, f := range ContactFieldSpecs() {
		s := exprSchema()
		s["description"] = f.Doc
		props[f.Name] = s
	}
	return props
}
