package rules

import "github.com/expr-lang/expr/ast"

// unguardedContact returns the contact fields n reads where contact may be
// nil (no contact exists yet, as for every new lead): contact.x outside a
// `contact != nil` guard and without `?.`. guarded says contact is known
// to be non-nil where n runs.
func unguardedContact(n ast.Node, guarded bool) []string {
	var out []string
	var walk func(n ast.Node, g bool)
	// all walks every node in ns with the same guard.
	all := func(g bool, ns ...ast.Node) {
		for _, n := range ns {
			walk(n, g)
		}
	}
	walk = func(n ast.Node, g bool) {
		switch x := n.(type) {
		case nil:
		case *ast.MemberNode:
			if id, ok := x.Node.(*ast.IdentifierNode); ok && id.Value == "contact" && !x.Optional && !g {
				out = append(out, x.String())
			}
			all(g, x.Node, x.Property)
		case *ast.BinaryNode:
			walk(x.Left, g)
			switch x.Operator {
			case "&&", "and":
				walk(x.Right, g || contactState(x.Left, true))
			case "||", "or":
				walk(x.Right, g || contactState(x.Left, false))
			default:
				walk(x.Right, g)
			}
		case *ast.ConditionalNode:
			walk(x.Cond, g)
			walk(x.Exp1, g || contactState(x.Cond, true))
			walk(x.Exp2, g || contactState(x.Cond, false))
		case *ast.UnaryNode:
			walk(x.Node, g)
		case *ast.ChainNode:
			walk(x.Node, g)
		case *ast.SliceNode:
			all(g, x.Node, x.From, x.To)
		case *ast.CallNode:
			walk(x.Callee, g)
			all(g, x.Arguments...)
		case *ast.BuiltinNode:
			all(g, x.Arguments...)
		case *ast.PredicateNode:
			walk(x.Node, g)
		case *ast.ArrayNode:
			all(g, x.Nodes...)
		case *ast.MapNode:
			all(g, x.Pairs...)
		case *ast.PairNode:
			all(g, x.Key, x.Value)
		case *ast.VariableDeclaratorNode:
			all(g, x.Value, x.Expr)
		case *ast.SequenceNode:
			all(g, x.Nodes...)
		}
	}
	walk(n, guarded)
	return out
}

// contactState reports whether n being true (want true) or false (want
// false) implies that contact is not nil.
func contactState(n ast.Node, want bool) bool {
	switch x := n.(type) {
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			return contactState(x.Node, !want)
		}
	case *ast.ConditionalNode:
		// c ? a : b is want only by (c and a is want) or (!c and b is want).
		path := func(condWant bool, branch ast.Node) bool {
			b, isConst := branch.(*ast.BoolNode)
			return contactState(x.Cond, condWant) || contactState(branch, want) || isConst && b.Value != want
		}
		return path(true, x.Exp1) && path(false, x.Exp2)
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			if want {
				return contactState(x.Left, true) || contactState(x.Right, true)
			}
		case "||", "or":
			if !want {
				return contactState(x.Left, false) || contactState(x.Right, false)
			}
		case "!=", "==":
			if isContactNilTest(x) {
				return (x.Operator == "!=") == want
			}
		}
	}
	return false
}

// isContactNilTest reports whether x compares contact with nil.
func isContactNilTest(x *ast.BinaryNode) bool {
	isContact := func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && id.Value == "contact"
	}
	isNil := func(n ast.Node) bool { _, ok := n.(*ast.NilNode); return ok }
	return isContact(x.Left) && isNil(x.Right) || isNil(x.Left) && isContact(x.Right)
}
