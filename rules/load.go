package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// LoadOption configures Load and LoadFile.
type LoadOption func(*loadConfig)

type loadConfig struct {
	lookupEnv func(string) (string, bool)
}

// WithLookupEnv sets the function that resolves ${VAR} references
// (default os.LookupEnv).
func WithLookupEnv(fn func(string) (string, bool)) LoadOption {
	return func(c *loadConfig) {
		if fn != nil {
			c.lookupEnv = fn
		}
	}
}

// LoadFile reads and loads the rules file at path. See Load.
func LoadFile(path string, opts ...LoadOption) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules file: %w", err)
	}
	return Load(path, data, opts...)
}

// Load parses, validates and compiles a rules file. filename is used in
// messages only. Every problem found is returned at once in a *LoadError.
func Load(filename string, data []byte, opts ...LoadOption) (*Set, error) {
	cfg := loadConfig{lookupEnv: os.LookupEnv}
	for _, o := range opts {
		o(&cfg)
	}
	l := &loader{file: filename, lookup: cfg.lookupEnv}
	root, err := parseYAML(data)
	if err != nil {
		l.problems = append(l.problems, yamlProblem(filename, data, err))
		return nil, &LoadError{Problems: l.problems}
	}
	if root == nil {
		// An empty file is never meant: it is most often one being written
		// (truncated, not yet filled) when a reload reads it, and loading it
		// would replace every rule with none, so every lead would be
		// answered ok and acted on by nothing.
		return nil, &LoadError{Problems: []Problem{{File: filename, Line: 1, Message: "the rules file is empty: it declares no sources and no rules"}}}
	}
	set := newSet(filename)
	l.interpolate(root)
	l.decodeRoot(root, set)
	sort.SliceStable(l.warnings, func(i, j int) bool { return l.warnings[i].Line < l.warnings[j].Line })
	if len(l.problems) > 0 {
		sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].Line < l.problems[j].Line })
		return nil, &LoadError{Problems: l.problems, Warnings: l.warnings}
	}
	set.warnings = l.warnings
	sum := sha256.Sum256(data)
	set.digest = hex.EncodeToString(sum[:])
	set.finish()
	return set, nil
}

// parseYAML returns the root mapping node, nil for an empty document.
func parseYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("yaml: line %d: only one document is allowed", extra.Line)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
}

// yamlProblem turns a yaml syntax error ("yaml: line 3: ...") into a
// Problem on the line at fault, naming the rule it is in. yaml reports
// some errors (a key indented wrongly) at the line where the enclosing
// block starts; the first line after which the file stops parsing is the
// one to fix.
func yamlProblem(file string, data []byte, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, rest[i+2:]
			}
		}
	}
	if n := firstBadLine(data); n > 0 {
		line = n
	}
	if strings.Contains(msg, "unexpected end of stream") {
		msg += " (is a quote left open?)"
	}
	return Problem{File: file, Line: line, Rule: ruleAtLine(data, line), Message: msg}
}

// maxSyntaxScan bounds the lines (and maxSyntaxBytes the size) of a file
// whose prefixes firstBadLine parses: the scan is quadratic.
const (
	maxSyntaxScan  = 2000
	maxSyntaxBytes = 128 << 10
)

// firstBadLine is the number of the first line whose prefix of the file
// no longer parses (0 when unknown or the file is too long to scan).
func firstBadLine(data []byte) int {
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > maxSyntaxScan || len(data) > maxSyntaxBytes {
		return 0
	}
	var prefix strings.Builder
	for i, ln := range lines {
		prefix.WriteString(ln)
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(prefix.String()), &n); err != nil {
			return i + 1
		}
	}
	return 0
}

var reRuleName = regexp.MustCompile(`^\s*(?:-\s+)?name:\s*(.*?)\s*$`)

// ruleAtLine names the rule (an item of the top-level rules list) that
// line is in, "" when it is in none; read from the text, since the file
// does not parse.
func ruleAtLine(data []byte, line int) string {
	inRules, name := false, ""
	for i, ln := range strings.Split(string(data), "\n") {
		if i+1 > line {
			break
		}
		if ln != "" && !strings.ContainsRune(" \t#-", rune(ln[0])) {
			inRules, name = strings.HasPrefix(ln, "rules:"), ""
			continue
		}
		if m := reRuleName.FindStringSubmatch(ln); inRules && m != nil {
			name = strings.Trim(m[1], `"'`)
		}
	}
	return name
}

// loader collects problems while walking the YAML tree.
type loader struct {
	// scope prefixes messages (e.g. `source "website": `).
	scope    string
	file     string
	lookup   func(string) (string, bool)
	problems []Problem
	warnings []Problem
	// contactKnown is set while compiling expressions that always run
	// with a contact (the sweep's when); contactGuarded while compiling
	// the actions of a rule whose when requires contact != nil.
	contactKnown, contactGuarded bool
}

// warnf records a pitfall that cannot be proven wrong: shown by validate,
// fatal only with validate --strict.
func (l *loader) warnf(n *yaml.Node, rule, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.warnings = append(l.warnings, Problem{File: l.file, Line: line, Rule: rule, Severity: SeverityWarning, Message: l.scope + fmt.Sprintf(format, args...)})
}

func (l *loader) errorf(n *yaml.Node, rule, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Rule: rule, Message: l.scope + fmt.Sprintf(format, args...)})
}

// interpolate replaces ${VAR} and ${VAR:-default} in every scalar value
// (not in mapping keys). "$${" is a literal "${".
func (l *loader) interpolate(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		v, err := expandVars(n.Value, l.lookup)
		if err != nil {
			l.errorf(n, "", "%v", err)
			return
		}
		n.Value = v
		n.Tag = "!!str"
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			l.interpolate(n.Content[i])
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			l.interpolate(c)
		}
	case yaml.AliasNode:
		// The anchor's node is interpolated where it is defined.
	}
}

// expandVars expands ${VAR} and ${VAR:-default}. An unset variable without
// a default is an error; ${VAR:-default} also applies when VAR is empty.
func expandVars(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // "$${" escapes
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated variable reference %q", s[i:])
		}
		ref := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("invalid variable name %q", name)
		}
		val, ok := lookup(name)
		switch {
		case hasDef && val == "":
			val = def
		case !ok:
			return "", fmt.Errorf("environment variable %q is not set and has no default", name)
		}
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
