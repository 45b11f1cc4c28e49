package rules_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/leadhook/leadhook/rules"
)

const schemaFile = "../docs/rules.schema.json"

// TestSchemaUpToDate fails when docs/rules.schema.json differs from what
// the spec generates (run: go run ./rules/internal/gendoc).
func TestSchemaUpToDate(t *testing.T) {
	want, err := rules.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run: go run ./rules/internal/gendoc)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/rules.schema.json is stale: run go run ./rules/internal/gendoc")
	}
}

// compileSchema compiles docs/rules.schema.json as editors would load it.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(rules.SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(rules.SchemaURL)
	if err != nil {
		t.Fatalf("compile the schema: %v", err)
	}
	return s
}

// yamlInstance reads YAML the way the YAML language server hands it to the
// schema (YAML 1.2 scalars: `yes` is a string), as a JSON value.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// anyVar sets every variable, empty: ${VAR:-default} takes its default,
// a ${VAR} without one (fixtures of secrets) loads as "x".
func anyVar(name string) (string, bool) {
	if strings.HasSuffix(name, "_SECRET") || strings.HasSuffix(name, "_TOKEN") || strings.HasSuffix(name, "_KEY") || strings.HasSuffix(name, "PASSWORD") {
		return "x", true
	}
	return "", true
}

// TestSchemaShippedRules: the example and the Kubernetes ConfigMap's copy
// name the schema for their editors and validate against it.
func TestSchemaShippedRules(t *testing.T) {
	s := compileSchema(t)
	u, err := url.Parse(rules.SchemaURL)
	if err != nil || !strings.HasSuffix(u.Path, "/main/docs/rules.schema.json") {
		t.Errorf("SchemaURL %q does not name docs/rules.schema.json on main", rules.SchemaURL)
	}
	for _, name := range []string{"../rules.example.yaml", "../deploy/kubernetes/rules.yaml"} {
		t.Run(filepath.Base(filepath.Dir(name))+"/"+filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(string(data), "\n"); first != "# yaml-language-server: $schema="+rules.SchemaURL {
				t.Errorf("first line %q does not name the schema for editors", first)
			}
			if err := s.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("schema rejects %s:\n%v", name, err)
			}
		})
	}
}

// TestSchemaRejectsBroken: each broken file is rejected by the schema
// (as an editor would flag it) and by the loader.
func TestSchemaRejectsBroken(t *testing.T) {
	s := compileSchema(t)
	tests := []struct {
		file string
		want string // in the validator's message
	}{
		{file: "unknown-key.yaml", want: "additional properties 'action' not allowed"},
		{file: "wrong-type.yaml", want: "/sweep/page_size"},
		{file: "unknown-action.yaml", want: "additional properties 'add_label' not allowed"},
		{file: "bad-enum.yaml", want: "/sources/website/format"},
		{file: "missing-required.yaml", want: "missing property 'when'"},
		{file: "wrong-nesting.yaml", want: "maxProperties"},
	}
	entries, _ := filepath.Glob("testdata/schema/*.yaml")
	if len(entries) != len(tests) {
		t.Errorf("testdata/schema has %d files, the table %d", len(entries), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/schema", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(yamlInstance(t, data))
			if err == nil {
				t.Fatalf("schema accepts %s", tt.file)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("schema error lacks %q:\n%v", tt.want, err)
			}
			if _, err := rules.Load(tt.file, data, rules.WithLookupEnv(anyVar)); err == nil {
				t.Errorf("the loader accepts %s, which the schema rejects", tt.file)
			}
		})
	}
}

// TestSchemaAcceptsWhatLoads: the schema never rejects a file the loader
// accepts. Every YAML file of the repository that loads as a rules file
// (the examples, every fixture of every package), every action example
// of the reference, and scalars the loader converts must validate.
func TestSchemaAcceptsWhatLoads(t *testing.T) {
	s := compileSchema(t)
	var loaded int
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := rules.Load(p, data, rules.WithLookupEnv(anyVar)); err != nil {
			return nil // not a rules file, or one the loader rejects
		}
		loaded++
		if err := s.Validate(yamlInstance(t, data)); err != nil {
			t.Errorf("%s loads, but the schema rejects it:\n%v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if loaded < 5 {
		t.Errorf("only %d rules files in the repository load; the walk is broken", loaded)
	}
	t.Logf("%d rules files of the repository load and validate", loaded)

	const head = "labels: [Hot lead, Cold lead]\nowners: {sales: [1, 2]}\nthresholds: {Hot lead: 50, Cold lead: 0}\n"
	docs := map[string]string{}
	for _, a := range rules.ActionSpecs() {
		docs["action example "+a.Name] = head + "rules:\n  - name: r\n    when: 'true'\n    actions:\n      - " + strings.ReplaceAll(a.Example, "\n", "\n        ") + "\n"
	}
	for name, body := range map[string]string{
		"quoted integers and yaml 1.1 booleans": "labels:\n  - {name: Hot lead, create: yes}\n  - {name: Cold lead, create: \"off\"}\nsweep: {page_size: \"200\", chunk_size: 0x10}\n" +
			"rules:\n  - {name: r, when: 'true', enabled: \"True\", stop: on, actions: [assign_label: Hot lead]}\n",
		"variables in typed values": "sweep: {page_size: '${PAGE_SIZE:-100}'}\nsources:\n  s: {format: '${FORMAT:-form}', auth: {type: none}}\n" +
			"rules:\n  - {name: r, when: 'true', actions: [delete_contact: yes]}\n",
		"scalar shorthands and nulls": "labels: [Hot lead, 7]\nowners: {sales: [1, {id: 2, weight: 1.5}]}\nsweep:\nscores:\n" +
			"rules:\n  - {name: r, when: true, actions: [upsert_contact: , assign_owner: sales, assign_owner: 5, set_visibility: team, delete_contact: {}]}\n",
		"every auth type's keys": authExamples(),
	} {
		docs[name] = body
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range docs {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data := []byte(docs[name])
			if _, err := rules.Load(name+".yaml", data, rules.WithLookupEnv(anyVar)); err != nil {
				t.Fatalf("the case does not load (fix the case): %v\n%s", err, data)
			}
			if err := s.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("loads, but the schema rejects it:\n%v\n%s", err, data)
			}
		})
	}
}

// authExamples is one source per auth type with every key it accepts.
func authExamples() string {
	values := map[string]string{
		"secret": "s3cret", "secrets": "[old]", "header": "X-Sig", "encoding": "base64", "prefix": "sha256=",
		"tolerance": "5m", "timestamp_header": "X-Ts", "token": "t0ken", "username": "u", "password": "p",
		"topic_arns": "['arn:aws:sns:eu-west-1:123456789012:inbound']",
	}
	var b strings.Builder
	b.WriteString("sources:\n")
	for i, typ := range rules.AuthTypes() {
		req, opt := rules.AuthKeys(typ)
		b.WriteString("  s" + string(rune('a'+i)) + ":\n    format: json\n    auth:\n      type: " + typ + "\n")
		for _, k := range append(req, opt...) {
			b.WriteString("      " + k + ": " + values[k] + "\n")
		}
	}
	return b.String()
}

// TestSchemaCoversActions: every action has a value schema of its own
// (an action without one is accepted with any value).
func TestSchemaCoversActions(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Properties map[string]struct {
				Items struct {
					Properties map[string]map[string]any `json:"properties"`
				} `json:"items"`
			} `json:"properties"`
			Items struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"items"`
			AnyOf []struct {
				Items struct {
					Properties map[string]struct {
						Items struct {
							Properties map[string]map[string]any `json:"properties"`
						} `json:"items"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"anyOf"`
		} `json:"properties"`
	}
	data, err := rules.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	var actions map[string]map[string]any
	for _, alt := range schema.Properties["rules"].AnyOf {
		if a := alt.Items.Properties["actions"].Items.Properties; a != nil {
			actions = a
		}
	}
	if actions == nil {
		t.Fatal("no rules[].actions[] properties in the schema")
	}
	for _, name := range rules.ActionNames() {
		a, ok := actions[name]
		if !ok {
			t.Errorf("action %q is not in the schema", name)
			continue
		}
		if len(a) <= 1 { // only its description
			t.Errorf("action %q has no value schema: add it to actionValueSchemas in rules/schema.go", name)
		}
	}
}
