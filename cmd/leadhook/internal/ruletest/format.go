package ruletest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// DefaultNow is the received_at of test events when the file sets no `now`.
func DefaultNow() time.Time { return time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC) }

// File is one test file.
type File struct {
	// Path is where the file was read from; relative paths in it are
	// resolved against its folder.
	Path string `yaml:"-"`
	// Rules is the rules file under test.
	Rules string `yaml:"rules"`
	// Env gives ${VAR} values for the rules file; variables not listed
	// come from the process environment.
	Env map[string]string `yaml:"env"`
	// Now is every event's received_at and the fake CRM's clock.
	Now time.Time `yaml:"now"`
	// CRM is the starting CRM state of every case without its own.
	CRM *CRMState `yaml:"crm"`
	// Tests are the cases, run in order, each on a fresh CRM.
	Tests []Case `yaml:"tests"`
}

// Case is one test case.
type Case struct {
	Name string `yaml:"name"`
	// Source is the rules file's source the payload is posted to.
	Source string `yaml:"source"`
	// Payload is a file holding a raw request body, as the provider sends
	// it; Body is the same inline.
	Payload string `yaml:"payload"`
	Body    string `yaml:"body"`
	// Headers are the request headers (Content-Type is guessed from the
	// body when absent).
	Headers map[string]string `yaml:"headers"`
	// Verify checks the payload's signature or token as the service would.
	Verify bool `yaml:"verify"`
	// Event is an inline normalised event (keys as in expressions:
	// kind, email, name, fields, mail: {from, subject}, ...), instead of
	// a payload.
	Event map[string]any `yaml:"event"`
	// Sweep runs the relabel sweep instead of an event.
	Sweep bool `yaml:"sweep"`
	// DryRun plans without changing the CRM.
	DryRun bool `yaml:"dry_run"`
	// CRM is this case's starting CRM state (replaces the file's).
	CRM    *CRMState `yaml:"crm"`
	Expect Expect    `yaml:"expect"`
	Line   int       `yaml:"-"`
}

// CRMState is a starting CRM: labels (besides the four Deskera seeds and
// the rules file's declared labels) and contacts.
type CRMState struct {
	Labels   []string         `yaml:"labels"`
	Contacts []map[string]any `yaml:"contacts"`
}

// Expect is what a case must produce; unset fields are not checked. For
// a payload that yields several events, plan expectations apply to the
// last one.
type Expect struct {
	// Matched is the exact list of matched rules, in file order.
	Matched []string `yaml:"matched"`
	// NotMatched are rules that must not match.
	NotMatched []string `yaml:"not_matched"`
	// Errored are the rules whose evaluation failed.
	Errored    []string           `yaml:"errored"`
	Score      *float64           `yaml:"score"`
	Scores     map[string]float64 `yaml:"scores"`
	ScoreLabel *string            `yaml:"score_label"`
	// Event is checked against the normalised event (partial).
	Event map[string]any `yaml:"event"`
	// Actions are the planned actions (partial maps, exact count).
	Actions []map[string]any `yaml:"actions"`
	// Results are the executed actions' outcomes (partial maps).
	Results []map[string]any `yaml:"results"`
	// Calls are the Deskera calls as "METHOD /path" (query included when
	// written), in order.
	Calls []string `yaml:"calls"`
	// Contacts are contacts that must exist afterwards (partial maps,
	// found by id or email); ContactCount is the number of contacts.
	Contacts     []map[string]any `yaml:"contacts"`
	ContactCount *int             `yaml:"contact_count"`
	// Sweep is checked against the sweep result (partial), e.g.
	// {scanned: 3, changed: 1, by_label: {Hot lead: 1}}.
	Sweep map[string]any `yaml:"sweep"`
	// Error is a substring of the expected error; a case with Error set
	// fails when no error happens.
	Error string `yaml:"error"`

	set map[string]bool // the keys written
}

// UnmarshalYAML records which expectation keys were written, so that
// `matched: []` (nothing matches) differs from no `matched` at all.
func (e *Expect) UnmarshalYAML(n *yaml.Node) error {
	type plain Expect
	if err := n.Decode((*plain)(e)); err != nil {
		return err
	}
	known := expectKeys()
	e.set = map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !known[k.Value] {
			return fmt.Errorf("line %d: unknown expectation %q (one of %s)", k.Line, k.Value, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
		e.set[k.Value] = true
	}
	return nil
}

// expectKeys are the yaml keys of Expect.
func expectKeys() map[string]bool {
	t := reflect.TypeFor[Expect]()
	out := map[string]bool{}
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			out[tag] = true
		}
	}
	return out
}

// Has reports whether the expectation key was written.
func (e *Expect) Has(key string) bool { return e.set[key] }

// ParseFile reads a test file strictly: unknown keys are errors naming
// their line.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read test file: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a test file's content; path is used for messages and to
// resolve relative paths.
func Parse(path string, data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	f := &File{}
	if err := dec.Decode(f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the test file is empty; it needs `rules:` and `tests:`", path)
		}
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded above; only for line numbers
	f.Path = path
	caseLines(&root, f)
	return f, f.validate()
}

// caseLines records each case's line for messages.
func caseLines(root *yaml.Node, f *File) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "tests" {
			continue
		}
		for j, item := range m.Content[i+1].Content {
			if j < len(f.Tests) {
				f.Tests[j].Line = item.Line
			}
		}
	}
}

func (f *File) validate() error {
	var problems []string
	add := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", f.Path, line, fmt.Sprintf(format, args...)))
	}
	if f.Rules == "" {
		add(1, "no `rules:` key: name the rules file under test (relative to this file)")
	}
	if len(f.Tests) == 0 {
		add(1, "no test cases under `tests:`")
	}
	if f.Now.IsZero() {
		f.Now = DefaultNow()
	}
	seen := map[string]bool{}
	for i := range f.Tests {
		c := &f.Tests[i]
		if c.Name == "" {
			c.Name = fmt.Sprintf("case %d", i+1)
		}
		if seen[c.Name] {
			add(c.Line, "test %q: duplicate name", c.Name)
		}
		seen[c.Name] = true
		if msg := c.inputProblem(); msg != "" {
			add(c.Line, "test %q: %s", c.Name, msg)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// inputProblem says what is wrong with a case's input ("" when fine).
func (c *Case) inputProblem() string {
	n := 0
	for _, set := range []bool{c.Payload != "", c.Body != "", c.Event != nil, c.Sweep} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return "give one input: payload (a file), body (inline), event (a normalised event) or sweep: true"
	case n > 1:
		return "give only one of payload, body, event and sweep"
	case (c.Payload != "" || c.Body != "") && c.Source == "":
		return "a payload needs `source:` (the rules file's source it is posted to)"
	}
	return ""
}

// resolve makes p relative to the test file's folder.
func (f *File) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}
