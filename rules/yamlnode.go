package rules

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// kindName names a node kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a node"
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// fieldFunc handles the value of one known key.
type fieldFunc func(key, val *yaml.Node)

// mapping walks a mapping node, calling fields[key] for each known key and
// reporting unknown and duplicate keys. what names the mapping in messages.
func (l *loader) mapping(n *yaml.Node, rule, what string, fields map[string]fieldFunc) bool {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, rule, "%s must be a mapping, not %s", what, kindName(n))
		return false
	}
	l.eachPair(n, rule, what, func(k, v *yaml.Node) {
		fn, ok := fields[k.Value]
		if !ok {
			l.errorf(k, rule, "unknown key %q in %s%s", k.Value, what, didYouMean(k.Value, mapKeys(fields)))
			return
		}
		fn(k, v)
	})
	return true
}

// pairs returns the key/value pairs of a mapping whose keys are free-form
// names, reporting duplicates.
func (l *loader) pairs(n *yaml.Node, rule, what string) [][2]*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		if !isNull(n) {
			l.errorf(n, rule, "%s must be a mapping, not %s", what, kindName(n))
		}
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	l.eachPair(n, rule, what, func(k, v *yaml.Node) {
		out = append(out, [2]*yaml.Node{k, v})
	})
	return out
}

// eachPair calls fn with each key and (dereferenced) value of the mapping
// n in order, reporting a repeated key instead of passing it on.
func (l *loader) eachPair(n *yaml.Node, rule, what string, fn func(k, v *yaml.Node)) {
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if seen[k.Value] {
			l.errorf(k, rule, "duplicate key %q in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		fn(k, v)
	}
}

// list returns the items of a sequence node (nil for null).
func (l *loader) list(n *yaml.Node, rule, what string) []*yaml.Node {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, rule, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func (l *loader) str(n *yaml.Node, rule, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, rule, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) strList(n *yaml.Node, rule, what string) []string {
	var out []string
	for _, c := range l.list(n, rule, what) {
		if s, ok := l.str(c, rule, what+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

func (l *loader) integer(n *yaml.Node, rule, what string) (int64, bool) {
	if n.Kind == yaml.ScalarNode {
		if v, err := strconv.ParseInt(strings.TrimSpace(n.Value), 0, 64); err == nil {
			return v, true
		}
	}
	l.errorf(n, rule, "%s must be an integer, not %s", what, describe(n))
	return 0, false
}

func (l *loader) number(n *yaml.Node, rule, what string) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		if v, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err == nil {
			return v, true
		}
	}
	l.errorf(n, rule, "%s must be a number, not %s", what, describe(n))
	return 0, false
}

func (l *loader) boolean(n *yaml.Node, rule, what string) (bool, bool) {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	}
	l.errorf(n, rule, "%s must be true or false, not %s", what, describe(n))
	return false, false
}

// describe quotes a scalar's value (not for secrets) or names the kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}
