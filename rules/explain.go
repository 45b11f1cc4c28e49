package rules

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Explanation says why an event did or did not match: the plan, and for
// every score part and rule the value of each sub-expression. It is what
// `leadhook eval` prints and what a dry run answers.
type Explanation struct {
	// Score is the combined score; Scoring how it was made from the
	// contact's stored score and the event's (nil when not stored).
	Score   float64           `json:"score"`
	Scoring *Scoring          `json:"scoring,omitempty"`
	Scores  []ExprExplanation `json:"scores"`
	Rules   []ExprExplanation `json:"rules"`
}

// Results of a rule in an ExprExplanation.
const (
	ResultMatched    = "matched"
	ResultNotMatched = "not matched"
	ResultError      = "error"
	ResultSkipped    = "skipped"
)

// ExprExplanation explains one score part or one rule's `when`.
type ExprExplanation struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
	// Result is matched, not matched, error or skipped for a rule; a
	// score's value is in Value.
	Result string `json:"result,omitempty"`
	Value  any    `json:"value,omitempty"`
	// Reason is why a rule was skipped, or its (or the score's) error.
	Reason string `json:"reason,omitempty"`
	Steps  []Step `json:"steps,omitempty"`
}

// Step is the value of one sub-expression. Depth is its nesting under the
// whole expression (0). A sub-expression that did not run because of
// short-circuiting (&&, ||, ??, ?:) has Skipped set instead of a value.
type Step struct {
	Expr    string `json:"expr"`
	Depth   int    `json:"depth"`
	Value   any    `json:"value"`
	Error   string `json:"error,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

// maxSteps bounds the steps of one explanation.
const maxSteps = 60

// Explain evaluates the event as Evaluate does and explains every score
// part and rule. It does no I/O; it compiles sub-expressions, so it is
// meant for tools and dry runs, not for the hot path.
func (s *Set) Explain(ev *Event, contact *Contact) *Explanation {
	if ev == nil {
		ev = &Event{}
	}
	plan := s.Evaluate(ev, contact)
	out := &Explanation{Score: plan.Score, Scoring: plan.Scoring, Scores: make([]ExprExplanation, 0, len(s.scores)), Rules: make([]ExprExplanation, 0, len(s.rules))}
	scoreEnv := &Env{Event: ev, Contact: contact}
	eventScores := plan.Scores
	if plan.Scoring != nil {
		eventScores = plan.Scoring.EventScores
	}
	for _, sc := range s.scores {
		x := ExprExplanation{Name: sc.name, Expr: sc.src, Value: eventScores[sc.name]}
		x.Steps, x.Reason = explainExpr(sc.src, scoreEnv)
		out.Scores = append(out.Scores, x)
	}
	ruleEnv := &Env{Event: ev, Contact: contact, Score: plan.Score, Scores: plan.Scores, ScoreLabel: plan.ScoreLabel}
	ruleEnv.setScoring(plan)
	for i, rl := range s.rules {
		res := plan.Rules[i]
		x := ExprExplanation{Name: rl.name, Expr: rl.whenSrc}
		switch {
		case res.Skipped != "":
			x.Result, x.Reason = ResultSkipped, res.Skipped
			out.Rules = append(out.Rules, x)
			continue
		case res.Error != "":
			x.Result, x.Reason = ResultError, res.Error
		case res.Matched:
			x.Result = ResultMatched
		default:
			x.Result = ResultNotMatched
		}
		x.Steps, _ = explainExpr(rl.whenSrc, ruleEnv)
		out.Rules = append(out.Rules, x)
	}
	return out
}

// ExplainExpr explains an expression (any kind) against env: the value of
// each sub-expression, outermost first. It returns an error when src does
// not parse.
func ExplainExpr(src string, env *Env) ([]Step, error) {
	steps, reason := explainExpr(src, env)
	if reason != "" && len(steps) == 0 {
		return nil, errors.New(reason)
	}
	return steps, nil
}

func explainExpr(src string, env *Env) ([]Step, string) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, firstLine(err).Error()
	}
	x := &explainer{env: env, opts: exprOptions()}
	x.walk(tree.Node, 0, "")
	root := ""
	if len(x.steps) > 0 {
		root = x.steps[0].Error
	}
	return x.steps, root
}

type explainer struct {
	env   *Env
	opts  []expr.Option
	steps []Step
}

// outcome is the value of a walked node; ok is false when it did not run
// or failed.
type outcome struct {
	val any
	ok  bool
}

// walk records n (unless it is a literal) and its children, and returns
// n's value. lets holds the enclosing `let` declarations.
func (x *explainer) walk(n ast.Node, depth int, lets string) outcome {
	if n == nil || len(x.steps) >= maxSteps {
		return outcome{}
	}
	if _, ok := n.(*ast.PointerNode); ok {
		return outcome{}
	}
	if isLiteral(n) {
		return outcome{} // its value is in the source; never short-circuits
	}
	val, err := x.eval(lets + n.String())
	st := Step{Expr: n.String(), Depth: depth, Value: val}
	if err != nil {
		st.Value, st.Error = nil, firstLine(err).Error()
	}
	x.steps = append(x.steps, st)
	x.children(n, depth+1, lets)
	return outcome{val: val, ok: err == nil}
}

// children walks n's sub-expressions, skipping the ones short-circuiting
// leaves out.
func (x *explainer) children(n ast.Node, depth int, lets string) {
	switch n := n.(type) {
	case *ast.BinaryNode:
		left := x.walk(n.Left, depth, lets)
		if why := shortCircuit(n.Operator, left); why != "" {
			x.skip(n.Right, depth, why)
			return
		}
		x.walk(n.Right, depth, lets)
	case *ast.UnaryNode:
		x.walk(n.Node, depth, lets)
	case *ast.CallNode:
		x.walkAll(n.Arguments, depth, lets)
	case *ast.BuiltinNode:
		for _, a := range n.Arguments {
			if _, closure := a.(*ast.PredicateNode); !closure {
				x.walk(a, depth, lets)
			}
		}
	case *ast.ConditionalNode:
		x.conditional(n, depth, lets)
	case *ast.VariableDeclaratorNode:
		decl := "let " + n.Name + " = " + n.Value.String() + "; "
		v, err := x.eval(lets + n.Value.String())
		st := Step{Expr: n.Name + " = " + n.Value.String(), Depth: depth, Value: v}
		if err != nil {
			st.Value, st.Error = nil, firstLine(err).Error()
		}
		x.steps = append(x.steps, st)
		x.children(n.Value, depth+1, lets)
		x.walk(n.Expr, depth, lets+decl)
	case *ast.SequenceNode:
		x.walkAll(n.Nodes, depth, lets)
	case *ast.ArrayNode:
		x.walkAll(n.Nodes, depth, lets)
	}
}

func (x *explainer) walkAll(ns []ast.Node, depth int, lets string) {
	for _, a := range ns {
		x.walk(a, depth, lets)
	}
}

func (x *explainer) conditional(n *ast.ConditionalNode, depth int, lets string) {
	cond := x.walk(n.Cond, depth, lets)
	b, isBool := cond.val.(bool)
	switch {
	case !cond.ok || !isBool:
		x.skip(n.Exp1, depth, "condition failed")
		x.skip(n.Exp2, depth, "condition failed")
	case b:
		x.walk(n.Exp1, depth, lets)
		x.skip(n.Exp2, depth, "condition is true")
	default:
		x.skip(n.Exp1, depth, "condition is false")
		x.walk(n.Exp2, depth, lets)
	}
}

func (x *explainer) skip(n ast.Node, depth int, why string) {
	if n == nil || isLiteral(n) || len(x.steps) >= maxSteps {
		return
	}
	x.steps = append(x.steps, Step{Expr: n.String(), Depth: depth, Skipped: why})
}

// shortCircuit says why the right operand of op is not evaluated given
// the left one ("" when it is).
func shortCircuit(op string, left outcome) string {
	if !left.ok {
		return ""
	}
	b, isBool := left.val.(bool)
	switch op {
	case "&&", "and":
		if isBool && !b {
			return "not evaluated: the left side is false"
		}
	case "||", "or":
		if isBool && b {
			return "not evaluated: the left side is true"
		}
	case "??":
		if left.val != nil {
			return "not evaluated: the left side is not nil"
		}
	}
	return ""
}

func isLiteral(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.BytesNode, *ast.ConstantNode:
		return true
	case *ast.UnaryNode: // -1
		return isLiteral(n.Node)
	case *ast.ArrayNode:
		for _, e := range n.Nodes {
			if !isLiteral(e) {
				return false
			}
		}
		return true
	}
	return false
}

// eval compiles and runs one sub-expression against the environment.
func (x *explainer) eval(src string) (out any, err error) {
	prog, err := expr.Compile(src, x.opts...)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rec := recover(); rec != nil {
			out, err = nil, fmt.Errorf("panic: %v", rec)
		}
	}()
	return expr.Run(prog, x.env)
}
