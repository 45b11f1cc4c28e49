package deploy

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CloudFormation's short-form intrinsic functions as yaml.v3 reads them:
// the tag stays on the node, so `!GetAtt Queue.Arn` is a scalar node with
// Tag "!GetAtt" and Value "Queue.Arn".

// parseYAML returns the document's top-level node.
func parseYAML(src string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping document")
	}
	return doc.Content[0], nil
}

// get follows mapping keys from n; nil when any is missing.
func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// pair is one mapping entry.
type pair struct {
	key   string
	value *yaml.Node
}

// pairs returns a mapping's entries in order (none for other nodes).
func pairs(n *yaml.Node) []pair {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{n.Content[i].Value, n.Content[i+1]})
	}
	return out
}

// str is a plain scalar's value ("" for anything else, including tagged
// intrinsic functions).
func str(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || isIntrinsic(n) {
		return ""
	}
	return n.Value
}

// strs is a sequence of plain scalars (or one scalar) as strings.
func strs(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{str(n)}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, str(c))
	}
	return out
}

// isIntrinsic reports whether n carries a local tag such as !Ref (yaml's
// own tags are "!!str", "!!int", ...).
func isIntrinsic(n *yaml.Node) bool {
	return strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
}

// isTag reports whether n is the intrinsic function tag (e.g. "!Ref").
func isTag(n *yaml.Node, tag string) bool { return n != nil && n.Tag == tag }

// getAttTarget returns the resource and attribute of a !GetAtt.
func getAttTarget(n *yaml.Node) (resource, attr string, ok bool) {
	if !isTag(n, "!GetAtt") {
		return "", "", false
	}
	if n.Kind == yaml.SequenceNode && len(n.Content) == 2 {
		return n.Content[0].Value, n.Content[1].Value, true
	}
	r, a, found := strings.Cut(n.Value, ".")
	return r, a, found
}

// subText returns the template string of a !Sub (either form).
func subText(n *yaml.Node) (string, bool) {
	switch {
	case !isTag(n, "!Sub"):
		return "", false
	case n.Kind == yaml.ScalarNode:
		return n.Value, true
	case n.Kind == yaml.SequenceNode && len(n.Content) > 0:
		return n.Content[0].Value, true
	}
	return "", false
}

// walk calls fn for n and every node below it, with the path of keys.
func walk(n *yaml.Node, path string, fn func(n *yaml.Node, path string)) {
	if n == nil {
		return
	}
	fn(n, path)
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walk(n.Content[i+1], path+"."+n.Content[i].Value, fn)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for i, c := range n.Content {
			walk(c, path+"["+strconv.Itoa(i)+"]", fn)
		}
	}
}
