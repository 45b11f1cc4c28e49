package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/vm"
	yaml "go.yaml.in/yaml/v3"
)

// Env is the environment every expression is compiled against and run in.
type Env struct {
	// Event is the event being evaluated (an empty schedule event in a sweep).
	Event *Event `expr:"event"`
	// Contact is the existing Deskera contact, nil when unknown: use
	// contact?.label or contact != nil && ... in expressions.
	Contact *Contact `expr:"contact"`
	// Score is the total score (0 inside score expressions).
	Score float64 `expr:"score"`
	// Scores holds the named score parts (empty inside score expressions).
	Scores map[string]float64 `expr:"scores"`
	// ScoreLabel is the label the thresholds give Score ("" if none).
	ScoreLabel string `expr:"score_label"`
	// StoredScore is the contact's stored score decayed to the event's
	// time (0 when it has none); EventScore and EventScores are the
	// event's own score and parts, before combining (see `scoring`).
	StoredScore float64            `expr:"stored_score"`
	EventScore  float64            `expr:"event_score"`
	EventScores map[string]float64 `expr:"event_scores"`
}

// setScoring sets the stored and event scores from the plan.
func (e *Env) setScoring(p *Plan) {
	if p.Scoring == nil {
		e.StoredScore, e.EventScore, e.EventScores = 0, p.Score, p.Scores
		return
	}
	e.StoredScore, e.EventScore, e.EventScores = p.Scoring.StoredScore, p.Scoring.EventScore, p.Scoring.EventScores
}

// MaxNodes bounds the size of one expression (a hostile rules file cannot
// blow up memory or CPU).
const MaxNodes = 500

// exprKind is what an expression must produce.
type exprKind int

const (
	kindAny exprKind = iota
	kindBool
	kindNumber
	kindString
	kindInt
	kindList
)

func (k exprKind) String() string {
	switch k {
	case kindBool:
		return "bool"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindInt:
		return "integer"
	case kindList:
		return "list"
	}
	return "any"
}

// exprOptions are the compile options shared by every expression.
func exprOptions() []expr.Option {
	opts := []expr.Option{
		expr.Env(Env{}),
		expr.MaxNodes(MaxNodes),
		expr.DisableBuiltin("now"), // evaluation is deterministic: use event.received_at
		expr.Patch(fieldsPatcher{}),
	}
	for _, h := range helpers() {
		opts = append(opts, expr.Function(h.Name, h.fn, h.types...))
	}
	return opts
}

// compile compiles the expression in n, checking its result type. YAML
// numbers and booleans are taken as literals.
func (l *loader) compile(n *yaml.Node, rule, what string, kind exprKind) (*vm.Program, string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, rule, "%s must be an expression (a string), not %s", what, kindName(n))
		return nil, "", false
	}
	src := strings.TrimSpace(n.Value)
	if src == "" {
		l.errorf(n, rule, "%s is empty", what)
		return nil, "", false
	}
	prog, err := compileExpr(src, kind)
	if err != nil {
		l.errorf(n, rule, "%s: %v", what, err)
		return nil, src, false
	}
	if !l.contactKnown {
		for _, m := range unguardedContact(prog.Node(), l.contactGuarded) {
			safe := "contact?." + strings.TrimPrefix(m, "contact.")
			l.warnf(n, rule, "%s: %s fails on every event without a contact (every new lead); write %s or guard it with contact != nil &&", what, m, safe)
		}
	}
	return prog, src, true
}

// compileExpr compiles src and checks that its static type fits kind.
func compileExpr(src string, kind exprKind) (*vm.Program, error) {
	opts := exprOptions()
	if kind == kindBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		msg := firstLine(err).Error()
		call, fieldFn := nameContext(src, msg)
		return nil, fmt.Errorf("%s", friendlyExprError(msg, call, fieldFn))
	}
	if t := prog.Node().Type(); !typeFits(t, kind) {
		return nil, fmt.Errorf("must be %s, but is %s", kindArticle(kind), typeWord(t))
	}
	if kind == kindNumber {
		for _, b := range branches(prog.Node()) {
			if t := b.Type(); !typeFits(t, kind) {
				return nil, fmt.Errorf("must be a number in every branch, but the branch %s is %s", b.String(), typeWord(t))
			}
		}
	}
	return prog, nil
}

// branches returns the expressions that can give n's value: both arms of
// every conditional and of ??, else n itself.
func branches(n ast.Node) []ast.Node {
	switch x := n.(type) {
	case *ast.ConditionalNode:
		return append(branches(x.Exp1), branches(x.Exp2)...)
	case *ast.BinaryNode:
		if x.Operator == "??" {
			return append(branches(x.Left), branches(x.Right)...)
		}
	case *ast.VariableDeclaratorNode:
		return branches(x.Expr)
	case *ast.SequenceNode:
		if len(x.Nodes) > 0 {
			return branches(x.Nodes[len(x.Nodes)-1])
		}
	case *ast.NilNode:
		return nil // counts as 0
	}
	return []ast.Node{n}
}

var reLoc = regexp.MustCompile(`\((\d+):(\d+)\)$`)

// nameContext looks at the name an "unknown name" error points at: call
// is true when it is called; fieldFn is "has" or "field" when it is the
// argument of that function (a form field name written without quotes).
func nameContext(src, msg string) (call bool, fieldFn string) {
	m := reLoc.FindStringSubmatch(msg)
	if m == nil {
		return false, ""
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1]) {
		return false, ""
	}
	text := lines[line-1]
	end := col - 1
	for end < len(text) && (text[end] == '_' || unicode.IsLetter(rune(text[end])) || unicode.IsDigit(rune(text[end]))) {
		end++
	}
	after := strings.TrimLeft(text[end:], " \t")
	before := strings.TrimRight(text[:col-1], " \t")
	if strings.HasSuffix(before, "(") {
		fn := strings.TrimRight(before[:len(before)-1], " \t")
		for _, f := range []string{"has", "field"} {
			if strings.HasSuffix(fn, f) && strings.HasPrefix(after, ")") {
				fieldFn = f
			}
		}
	}
	return strings.HasPrefix(after, "("), fieldFn
}

func kindArticle(k exprKind) string {
	switch k {
	case kindInt, kindAny:
		return "an " + k.String()
	}
	return "a " + k.String()
}

// typeFits reports whether a static expression type can produce kind; an
// interface type (a form field, say) is checked when the expression runs.
func typeFits(t reflect.Type, kind exprKind) bool {
	if t == nil || t.Kind() == reflect.Interface || kind == kindAny {
		return true
	}
	switch kind {
	case kindBool:
		return t.Kind() == reflect.Bool
	case kindNumber:
		return isNumberKind(t.Kind())
	case kindInt:
		return isIntKind(t.Kind())
	case kindString:
		return t.Kind() == reflect.String
	case kindList:
		return t.Kind() == reflect.Slice || t.Kind() == reflect.Array
	}
	return false
}

func isIntKind(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

func isNumberKind(k reflect.Kind) bool {
	return isIntKind(k) || k == reflect.Float32 || k == reflect.Float64
}

// firstLine keeps the first line of an expr error (the rest is a snippet
// with a caret, unhelpful in a one-line message).
func firstLine(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return fmt.Errorf("%s", msg)
}

// fieldsPatcher rewrites has(x) and field(x), the one-argument forms, to
// has(event.fields, x) and field(event.fields, x).
//
// It also forgets the type of every call: expr type-checks the tree before
// each patcher pass, and its final check then trusts a call's type from
// that pass and skips the call's arguments, so an unknown name inside a
// call (has(coupon), number(budget)) would compile and fail on every event
// instead of being rejected here. Reset and ShouldRepeat make it run in
// expr's last patcher pass, right before the final check.
type fieldsPatcher struct{}

// Reset is part of expr's repeatable-patcher interface.
func (fieldsPatcher) Reset() {}

// ShouldRepeat is part of expr's repeatable-patcher interface: one pass.
func (fieldsPatcher) ShouldRepeat() bool { return false }

func (fieldsPatcher) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	call.SetNature(nature.Nature{})
	if len(call.Arguments) != 1 {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || (id.Value != "has" && id.Value != "field") {
		return
	}
	fields := &ast.MemberNode{Node: &ast.IdentifierNode{Value: "event"}, Property: &ast.StringNode{Value: "fields"}}
	call.Arguments = []ast.Node{fields, call.Arguments[0]}
}
