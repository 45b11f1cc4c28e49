package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	yaml "go.yaml.in/yaml/v3"
)

// Action types.
const (
	ActionUpsertContact = "upsert_contact"
	ActionCreateContact = "create_contact"
	ActionUpdateContact = "update_contact"
	ActionAssignLabel   = "assign_label"
	ActionAssignOwner   = "assign_owner"
	ActionSetVisibility = "set_visibility"
	ActionDeleteContact = "delete_contact"
)

// Match keys for upsert_contact.
const (
	MatchEmail = "email"
	MatchPhone = "phone"
)

// rule is a compiled rule.
type rule struct {
	name, description string
	enabled, stop     bool
	whenSrc           string
	when              *vm.Program
	actions           []*action
	line              int
}

// action is a compiled action.
type action struct {
	typ       string
	line      int
	matchOn   string
	set       []setExpr
	custom    []customExpr
	label     string // assign_label: fixed name
	fromScore bool   // assign_label: from the thresholds
	ownerID   int64  // assign_owner: fixed id
	pool      *Pool  // assign_owner: pool
	vis, ids  string // set_visibility
}

type setExpr struct {
	spec FieldSpec
	prog *vm.Program
}

type customExpr struct {
	key  string
	prog *vm.Program
}

func ruleFields(l *loader, r *rule, whenNode, actionsNode **yaml.Node) map[string]fieldFunc {
	return map[string]fieldFunc{
		"name":        func(_, _ *yaml.Node) {}, // read first, see decodeRule
		"description": func(_, v *yaml.Node) { r.description, _ = l.str(v, r.name, "description") },
		"enabled":     func(_, v *yaml.Node) { r.enabled, _ = l.boolean(v, r.name, "enabled") },
		"when":        func(_, v *yaml.Node) { *whenNode = v },
		"actions":     func(_, v *yaml.Node) { *actionsNode = v },
		"stop":        func(_, v *yaml.Node) { r.stop, _ = l.boolean(v, r.name, "stop") },
	}
}

func (l *loader) decodeRules(n *yaml.Node, set *Set) {
	names := map[string]int{}
	for i, item := range l.list(n, "", "rules") {
		r := l.decodeRule(item, i, set)
		if r == nil {
			continue
		}
		if first, dup := names[r.name]; dup {
			l.errorf(item, r.name, "duplicate rule name (first at line %d)", first)
			continue
		}
		names[r.name] = item.Line
		set.rules = append(set.rules, r)
	}
}

// ruleName reads a rule's name before its other keys, so that every
// message about the rule carries it.
func (l *loader) ruleName(item *yaml.Node, index int) string {
	if item.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(item.Content); i += 2 {
			if item.Content[i].Value == "name" {
				if v := deref(item.Content[i+1]); v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) != "" {
					return strings.TrimSpace(v.Value)
				}
			}
		}
	}
	l.errorf(item, "", "rule #%d has no name", index+1)
	return "#" + strconv.Itoa(index+1)
}

func (l *loader) decodeRule(item *yaml.Node, index int, set *Set) *rule {
	name := l.ruleName(item, index)
	r := &rule{name: name, enabled: true, line: item.Line}
	var whenNode, actionsNode *yaml.Node
	if !l.mapping(item, name, "rule", ruleFields(l, r, &whenNode, &actionsNode)) {
		return nil
	}
	if whenNode == nil {
		l.errorf(item, name, "rule has no when (use when: 'true' to match every event)")
	} else {
		r.when, r.whenSrc, _ = l.compile(whenNode, name, "when", kindBool)
	}
	items := []*yaml.Node(nil)
	if actionsNode != nil {
		items = l.list(actionsNode, name, "actions")
	}
	if len(items) == 0 {
		l.errorf(item, name, "rule has no actions")
	}
	l.contactGuarded = r.when != nil && contactState(r.when.Node(), true)
	for _, a := range items {
		if act := l.decodeAction(a, r.name, set); act != nil {
			r.actions = append(r.actions, act)
		}
	}
	l.contactGuarded = false
	return r
}

// ActionNames returns the action types in reference order.
func ActionNames() []string {
	specs := actionSpecs()
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}

func (l *loader) decodeAction(n *yaml.Node, rule string, set *Set) *action {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		l.errorf(n, rule, "an action is a mapping with one key, the action type (one of %s)", strings.Join(ActionNames(), ", "))
		return nil
	}
	k, v := n.Content[0], deref(n.Content[1])
	i := slices.IndexFunc(actionSpecs(), func(s ActionSpec) bool { return s.Name == k.Value })
	if i < 0 {
		l.errorf(k, rule, "unknown action %q%s (one of %s)", k.Value, didYouMean(k.Value, ActionNames()), strings.Join(ActionNames(), ", "))
		return nil
	}
	a := &action{typ: k.Value, line: k.Line}
	if !actionSpecs()[i].decode(l, v, rule, set, a) {
		return nil
	}
	return a
}

// contactOptions decodes the options of upsert/create/update_contact.
func (l *loader) contactOptions(v *yaml.Node, rule string, set *Set, a *action, matchOn bool) bool {
	what := a.typ
	fields := map[string]fieldFunc{
		"set":    func(_, s *yaml.Node) { l.decodeSet(s, rule, set, a) },
		"custom": func(_, s *yaml.Node) { l.decodeCustom(s, rule, a) },
	}
	if matchOn {
		a.matchOn = MatchEmail
		fields["match_on"] = func(_, s *yaml.Node) {
			m, ok := l.str(s, rule, what+" match_on")
			if ok && m != MatchEmail && m != MatchPhone {
				l.errorf(s, rule, "%s match_on must be \"email\" or \"phone\", not %q", what, m)
				return
			}
			a.matchOn = m
		}
	}
	if isNull(v) {
		return true
	}
	return l.mapping(v, rule, what, fields)
}

func (l *loader) decodeSet(n *yaml.Node, rule string, set *Set, a *action) {
	specs := ContactFieldSpecs()
	for _, kv := range l.pairs(n, rule, a.typ+" set") {
		k, v := kv[0], kv[1]
		i := slices.IndexFunc(specs, func(s FieldSpec) bool { return s.Name == k.Value })
		if i < 0 {
			names := make([]string, len(specs))
			for j, sp := range specs {
				names[j] = sp.Name
			}
			l.errorf(k, rule, "%s set: unknown contact field %q%s", a.typ, k.Value, didYouMean(k.Value, names))
			continue
		}
		prog, _, ok := l.compile(v, rule, a.typ+" set."+k.Value, specs[i].kind)
		if !ok {
			continue
		}
		if enum := fieldEnums[k.Value]; enum != nil {
			if s, isConst := prog.Node().(*ast.StringNode); isConst && !slices.Contains(enum, s.Value) {
				l.errorf(v, rule, "%s set.%s must be one of %s, not %q%s", a.typ, k.Value, quoteList(enum), s.Value, didYouMean(s.Value, enum))
				continue
			}
		}
		if k.Value == "label" {
			if s, isConst := prog.Node().(*ast.StringNode); isConst && !l.declaredLabel(v, rule, set, s.Value) {
				continue
			}
		}
		a.set = append(a.set, setExpr{spec: specs[i], prog: prog})
	}
}

func (l *loader) decodeCustom(n *yaml.Node, rule string, a *action) {
	for _, kv := range l.pairs(n, rule, a.typ+" custom") {
		k, v := kv[0], kv[1]
		prog, _, ok := l.compile(v, rule, a.typ+" custom."+k.Value, kindString)
		if ok {
			a.custom = append(a.custom, customExpr{key: k.Value, prog: prog})
		}
	}
}

func (l *loader) labelOptions(v *yaml.Node, rule string, set *Set, a *action) bool {
	if v.Kind == yaml.ScalarNode {
		name, ok := l.str(v, rule, "assign_label")
		a.label = name
		return ok && l.declaredLabel(v, rule, set, name)
	}
	ok := l.mapping(v, rule, "assign_label", map[string]fieldFunc{
		"name": func(_, s *yaml.Node) { a.label, _ = l.str(s, rule, "assign_label name") },
		"from": func(_, s *yaml.Node) {
			from, _ := l.str(s, rule, "assign_label from")
			if from != "score" {
				l.errorf(s, rule, "assign_label from must be \"score\", not %q", from)
			}
			a.fromScore = true
		},
	})
	switch {
	case !ok:
		return false
	case a.fromScore && a.label != "":
		l.errorf(v, rule, "assign_label takes name or from, not both")
	case a.fromScore && len(set.thresholds) == 0:
		l.errorf(v, rule, "assign_label from: score needs thresholds")
	case a.fromScore:
		return true
	case a.label == "":
		l.errorf(v, rule, "assign_label needs a label name")
	default:
		return l.declaredLabel(v, rule, set, a.label)
	}
	return false
}

func (l *loader) ownerOptions(v *yaml.Node, rule string, set *Set, a *action) bool {
	var poolNode *yaml.Node
	if v.Kind == yaml.ScalarNode {
		if id, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
			a.ownerID = id
		} else {
			poolNode = v
		}
	} else if !l.mapping(v, rule, "assign_owner", map[string]fieldFunc{
		"id":   func(_, s *yaml.Node) { a.ownerID, _ = l.integer(s, rule, "assign_owner id") },
		"pool": func(_, s *yaml.Node) { poolNode = s },
	}) {
		return false
	}
	if poolNode != nil {
		name, _ := l.str(poolNode, rule, "assign_owner pool")
		p, ok := set.pools[name]
		if !ok {
			l.errorf(poolNode, rule, "owner pool %q is not declared under owners%s", name, didYouMean(name, mapKeys(set.pools)))
			return false
		}
		a.pool = p
	}
	if (a.pool == nil) == (a.ownerID <= 0) {
		l.errorf(v, rule, "assign_owner needs either a positive id or a pool")
		return false
	}
	return true
}

func (l *loader) visibilityOptions(v *yaml.Node, rule string, a *action) bool {
	if v.Kind == yaml.ScalarNode {
		a.vis, _ = l.str(v, rule, "set_visibility")
	} else if !l.mapping(v, rule, "set_visibility", map[string]fieldFunc{
		"type": func(_, s *yaml.Node) { a.vis, _ = l.str(s, rule, "set_visibility type") },
		"ids":  func(_, s *yaml.Node) { a.ids, _ = l.str(s, rule, "set_visibility ids") },
	}) {
		return false
	}
	if strings.TrimSpace(a.vis) == "" {
		l.errorf(v, rule, "set_visibility needs a visibility type")
		return false
	}
	if !slices.Contains(VisibilityTypes, a.vis) {
		l.errorf(v, rule, "set_visibility type must be one of %s, not %q%s", quoteList(VisibilityTypes), a.vis, didYouMean(a.vis, VisibilityTypes))
		return false
	}
	return true
}

// VisibilityTypes are the contact visibility types Deskera accepts.
var VisibilityTypes = []string{"private", "public", "team"}

// ContactTypes are the contact types Deskera accepts.
var ContactTypes = []string{"person", "organization"}

// quoteList is `"a", "b", "c"`.
func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

func (l *loader) deleteOptions(v *yaml.Node, rule string) bool {
	if isNull(v) || v.Kind == yaml.MappingNode && len(v.Content) == 0 {
		return true
	}
	if b, ok := l.boolean(v, rule, "delete_contact"); ok && !b {
		l.errorf(v, rule, "delete_contact: false does nothing; remove the action")
		return false
	}
	return true
}
