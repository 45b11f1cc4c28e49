package rules

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// rootOrder is the order the top-level sections are decoded in, so that
// declarations (labels, pools) exist before the rules that use them.
var rootOrder = [...]string{"labels", "owners", "sources", "scores", "scoring", "thresholds", "sweep", "rules"}

func (l *loader) decodeRoot(root *yaml.Node, set *Set) {
	vals := map[string]*yaml.Node{}
	handlers := rootFields(l, set)
	collect := map[string]fieldFunc{}
	for k := range handlers {
		collect[k] = func(_, v *yaml.Node) { vals[k] = v }
	}
	if !l.mapping(root, "", "the rules file", collect) {
		return
	}
	for _, k := range rootOrder {
		if v, ok := vals[k]; ok {
			handlers[k](nil, v)
		}
	}
}

// rootFields are the top-level keys of a rules file.
func rootFields(l *loader, set *Set) map[string]fieldFunc {
	return map[string]fieldFunc{
		"labels":     func(_, v *yaml.Node) { l.decodeLabels(v, set) },
		"owners":     func(_, v *yaml.Node) { l.decodeOwners(v, set) },
		"sources":    func(_, v *yaml.Node) { l.decodeSources(v, set) },
		"scores":     func(_, v *yaml.Node) { l.decodeScores(v, set) },
		"scoring":    func(_, v *yaml.Node) { l.decodeScoring(v, set) },
		"thresholds": func(_, v *yaml.Node) { l.decodeThresholds(v, set) },
		"sweep":      func(_, v *yaml.Node) { l.decodeSweep(v, set) },
		"rules":      func(_, v *yaml.Node) { l.decodeRules(v, set) },
	}
}

func labelFields(l *loader, lab *Label) map[string]fieldFunc {
	return map[string]fieldFunc{
		"name":   func(_, v *yaml.Node) { lab.Name, _ = l.str(v, "", "label name") },
		"color":  func(_, v *yaml.Node) { lab.Color, _ = l.str(v, "", "label color") },
		"icon":   func(_, v *yaml.Node) { lab.Icon, _ = l.str(v, "", "label icon") },
		"create": func(_, v *yaml.Node) { lab.Create, _ = l.boolean(v, "", "label create") },
	}
}

func (l *loader) decodeLabels(n *yaml.Node, set *Set) {
	for _, item := range l.list(n, "", "labels") {
		lab := Label{Line: item.Line}
		if item.Kind == yaml.ScalarNode {
			lab.Name, _ = l.str(item, "", "label name")
		} else {
			l.mapping(item, "", "label", labelFields(l, &lab))
		}
		name := strings.TrimSpace(lab.Name)
		switch {
		case name == "":
			l.errorf(item, "", "label has no name")
		case hasKey(set.labelIdx, strings.ToLower(name)):
			l.errorf(item, "", "duplicate label %q", name)
		default:
			lab.Name = name
			set.labelIdx[strings.ToLower(name)] = len(set.labels)
			set.labels = append(set.labels, lab)
		}
	}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func ownerFields(l *loader, o *Owner) map[string]fieldFunc {
	return map[string]fieldFunc{
		"id":     func(_, v *yaml.Node) { o.ID, _ = l.integer(v, "", "owner id") },
		"weight": func(_, v *yaml.Node) { o.Weight, _ = l.number(v, "", "owner weight") },
	}
}

func (l *loader) decodeOwners(n *yaml.Node, set *Set) {
	for _, kv := range l.pairs(n, "", "owners") {
		k, v := kv[0], kv[1]
		pool := &Pool{Name: k.Value, Line: k.Line}
		seen := map[int64]bool{}
		for _, item := range l.list(v, "", "owner pool "+k.Value) {
			o := Owner{Weight: 1}
			if item.Kind == yaml.ScalarNode {
				o.ID, _ = l.integer(item, "", "owner id")
			} else {
				l.mapping(item, "", "owner", ownerFields(l, &o))
			}
			switch {
			case o.ID <= 0:
				l.errorf(item, "", "owner pool %q: owner id must be a positive integer", pool.Name)
			case o.Weight <= 0:
				l.errorf(item, "", "owner pool %q: owner %d: weight must be positive", pool.Name, o.ID)
			case seen[o.ID]:
				l.errorf(item, "", "owner pool %q: duplicate owner %d", pool.Name, o.ID)
			default:
				seen[o.ID] = true
				pool.Owners = append(pool.Owners, o)
			}
		}
		if len(pool.Owners) == 0 {
			l.errorf(k, "", "owner pool %q is empty", pool.Name)
			continue
		}
		set.pools[pool.Name] = pool
	}
}

func (l *loader) decodeScores(n *yaml.Node, set *Set) {
	for _, kv := range l.pairs(n, "", "scores") {
		k, v := kv[0], kv[1]
		what := fmt.Sprintf("score %q", k.Value)
		prog, src, ok := l.compile(v, "", what, kindNumber)
		if ok {
			set.scores = append(set.scores, scoreDef{name: k.Value, src: src, prog: prog, line: k.Line})
		}
	}
}

func (l *loader) decodeThresholds(n *yaml.Node, set *Set) {
	mins := map[float64]string{}
	for _, kv := range l.pairs(n, "", "thresholds") {
		k, v := kv[0], kv[1]
		min, ok := l.number(v, "", fmt.Sprintf("threshold %q", k.Value))
		if !ok {
			continue
		}
		if !l.declaredLabel(k, "", set, k.Value) {
			continue
		}
		if other, dup := mins[min]; dup {
			l.errorf(v, "", "thresholds %q and %q have the same minimum %v", other, k.Value, min)
			continue
		}
		mins[min] = k.Value
		set.thresholds = append(set.thresholds, Threshold{Min: min, Label: k.Value})
	}
}

// declaredLabel reports (and complains) whether name is a declared label.
func (l *loader) declaredLabel(n *yaml.Node, rule string, set *Set, name string) bool {
	if _, ok := set.Label(name); ok {
		return true
	}
	names := make([]string, len(set.labels))
	for i, lab := range set.labels {
		names[i] = lab.Name
	}
	l.errorf(n, rule, "label %q is not declared under labels%s", name, didYouMean(name, names))
	return false
}

func sweepFields(l *loader, set *Set, p *SweepPolicy) map[string]fieldFunc {
	return map[string]fieldFunc{
		"when": func(_, v *yaml.Node) {
			l.contactKnown = true // the sweep runs on existing contacts
			p.when, p.When, _ = l.compile(v, "", "sweep when", kindBool)
			l.contactKnown = false
		},
		"page_size":  func(_, v *yaml.Node) { p.PageSize = l.size(v, "sweep page_size") },
		"chunk_size": func(_, v *yaml.Node) { p.ChunkSize = l.size(v, "sweep chunk_size") },
		"rules":      func(_, v *yaml.Node) { l.decodeSweepRules(v, set, p) },
		"keep_labels": func(_, v *yaml.Node) {
			for _, item := range l.list(v, "", "sweep keep_labels") {
				name, ok := l.str(item, "", "sweep keep_labels item")
				if ok && l.declaredLabel(item, "", set, name) {
					p.KeepLabels = append(p.KeepLabels, name)
				}
			}
		},
	}
}

// size reads a page or chunk size (1..1000).
func (l *loader) size(v *yaml.Node, what string) int {
	n, ok := l.integer(v, "", what)
	if !ok {
		return 0
	}
	if n < 1 || n > 1000 {
		l.errorf(v, "", "%s must be between 1 and 1000, not %d", what, n)
		return 0
	}
	return int(n)
}

func (l *loader) decodeSweep(n *yaml.Node, set *Set) {
	p := SweepPolicy{PageSize: DefaultPageSize, ChunkSize: DefaultChunkSize}
	if isNull(n) {
		return
	}
	l.mapping(n, "", "sweep", sweepFields(l, set, &p))
	if p.PageSize == 0 {
		p.PageSize = DefaultPageSize
	}
	if p.ChunkSize == 0 {
		p.ChunkSize = DefaultChunkSize
	}
	set.sweep = p
}
