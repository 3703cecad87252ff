package contest

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
)

// MaxFormulaBytes bounds a scoring formula's source. Compile time grows with
// the length (20 000 chars of unary minus take a quarter second), and a
// formula runs for every event.
const MaxFormulaBytes = 1024

// formulaOperators are the binary operators of the formula language
// (CONTRACT.md §3): arithmetic, comparisons and logic on numbers. Ranges
// (..), membership (in), string matching and pipes are not part of it.
var formulaOperators = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "**": true, "^": true,
	"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"and": true, "or": true, "&&": true, "||": true,
}

var formulaUnary = map[string]bool{"-": true, "+": true, "!": true, "not": true}

// checkFormulaShape refuses what the formula language does not have: string,
// list and map values, member access, ranges, nil. They are not needed to
// score an event, and they make the work per event unbounded: with let,
// string concatenation is exponential in the formula's length (let b = a + a;
// let c = b + b; … doubles a string per step: 24 steps take a third of a
// second and 80 MB for every event), and a range allocates its length. What
// is left runs in time linear in the formula: numbers only, no loops.
func checkFormulaShape(src string) error {
	cfg := conf.CreateNew()
	for _, opt := range formulaOptions() {
		opt(cfg) // the functions: calls of min, abs… are calls, not builtins
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("invalid formula: %s", msg)
	}
	return formulaShape(src).ok(tree.Node)
}

// formulaShape walks the parse tree of its source.
type formulaShape string

func (src formulaShape) ok(n ast.Node) error {
	switch n := n.(type) {
	case *ast.IdentifierNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return nil
	case *ast.UnaryNode:
		if !formulaUnary[n.Operator] {
			return src.err(n, fmt.Sprintf("operator %q", n.Operator))
		}
		return src.ok(n.Node)
	case *ast.BinaryNode:
		if !formulaOperators[n.Operator] {
			return src.err(n, fmt.Sprintf("operator %q", n.Operator))
		}
		return src.all(n.Left, n.Right)
	case *ast.ConditionalNode:
		return src.all(n.Cond, n.Exp1, n.Exp2)
	case *ast.VariableDeclaratorNode:
		return src.all(n.Value, n.Expr)
	case *ast.SequenceNode:
		return src.all(n.Nodes...)
	case *ast.CallNode:
		if _, ok := n.Callee.(*ast.IdentifierNode); !ok {
			return src.err(n, "a call of an expression")
		}
		return src.all(n.Arguments...)
	case *ast.StringNode, *ast.BytesNode:
		return src.err(n, "a string")
	case *ast.ArrayNode:
		return src.err(n, "a list")
	case *ast.MapNode, *ast.PairNode:
		return src.err(n, "a map")
	case *ast.NilNode:
		return src.err(n, "nil")
	}
	return src.err(n, "this expression")
}

func (src formulaShape) all(ns ...ast.Node) error {
	for _, n := range ns {
		if err := src.ok(n); err != nil {
			return err
		}
	}
	return nil
}

func (src formulaShape) err(n ast.Node, what string) error {
	line, col := 1, 1
	rs := []rune(string(src)) // the parser counts runes
	for _, r := range rs[:min(max(n.Location().From, 0), len(rs))] {
		if col++; r == '\n' {
			line, col = line+1, 1
		}
	}
	return fmt.Errorf("invalid formula: %s is not allowed, only numbers, bet, win, multiplier, duration_ms, "+
		"arithmetic, comparisons, ?:, let and min max abs log log2 floor ceil round (%d:%d)", what, line, col)
}
