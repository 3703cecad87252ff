package contest

import (
	"math"
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// fastFormula is a scoring formula compiled to Go closures over float64:
// no boxing, no VM, no allocation per event. It is built from the checked
// and optimized tree the expr VM runs (vm.Program.Node) for the formulas
// whose every node it can evaluate exactly as the VM does — numbers,
// variables, + - * / ** ^, unary minus and plus, the formula functions,
// comparisons, and/or/not and conditionals — and only when every
// arithmetic operation has a float operand (then the VM computes
// float64(a) op float64(b), as here). Anything else (let, %, integer
// arithmetic, …) has no fast path and runs on the VM. TestFastFormulaAgrees
// and FuzzFastFormula check that both give the same bits.
type fastFormula func(env formulaEnv) float64

type fastBool func(env formulaEnv) bool

// fastNum is a compiled numeric node: fn, or for an integer literal (the
// only integers a formula can hold: every variable is a float) its value.
type fastNum struct {
	fn    fastFormula
	isInt bool
	i     int
}

// float returns n as a float function (an integer literal converted, as
// the VM's float64(x) op float64(y) does).
func (n fastNum) float() fastFormula {
	if n.isInt {
		v := float64(n.i)
		return func(formulaEnv) float64 { return v }
	}
	return n.fn
}

// compileFast returns the fast path of a checked formula tree, or nil.
func compileFast(root ast.Node) fastFormula {
	n, ok := fastNumber(root)
	if !ok || n.isInt {
		return nil
	}
	return n.fn
}

func fastNumber(node ast.Node) (fastNum, bool) {
	switch n := node.(type) {
	case *ast.IdentifierNode:
		return fastVar(n.Value)
	case *ast.FloatNode:
		v := n.Value
		return fastNum{fn: func(formulaEnv) float64 { return v }}, true
	case *ast.IntegerNode:
		if t := n.Type(); t != nil && t.Kind() == reflect.Float64 {
			v := float64(n.Value) // the compiler pushes float64(value)
			return fastNum{fn: func(formulaEnv) float64 { return v }}, true
		} else if t != nil && t.Kind() != reflect.Int {
			return fastNum{}, false
		}
		return fastNum{isInt: true, i: n.Value}, true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case float64:
			return fastNum{fn: func(formulaEnv) float64 { return v }}, true
		case int:
			return fastNum{isInt: true, i: v}, true
		}
	case *ast.UnaryNode:
		x, ok := fastNumber(n.Node)
		switch {
		case !ok || x.isInt:
			return fastNum{}, false
		case n.Operator == "+":
			return x, true
		case n.Operator == "-":
			f := x.fn
			return fastNum{fn: func(e formulaEnv) float64 { return -f(e) }}, true
		}
	case *ast.BinaryNode:
		return fastArith(n)
	case *ast.CallNode:
		return fastCall(n)
	case *ast.ConditionalNode:
		c, ok1 := fastCond(n.Cond)
		a, ok2 := fastNumber(n.Exp1)
		b, ok3 := fastNumber(n.Exp2)
		if !ok1 || !ok2 || !ok3 || a.isInt || b.isInt {
			return fastNum{}, false
		}
		fa, fb := a.fn, b.fn
		return fastNum{fn: func(e formulaEnv) float64 {
			if c(e) {
				return fa(e)
			}
			return fb(e)
		}}, true
	}
	return fastNum{}, false
}

// fastVar reads one variable of formulaEnv.
func fastVar(name string) (fastNum, bool) {
	var fn fastFormula
	switch name {
	case "bet":
		fn = func(e formulaEnv) float64 { return e.Bet }
	case "win":
		fn = func(e formulaEnv) float64 { return e.Win }
	case "multiplier":
		fn = func(e formulaEnv) float64 { return e.Multiplier }
	case "duration_ms":
		fn = func(e formulaEnv) float64 { return e.DurationMS }
	default:
		return fastNum{}, false
	}
	return fastNum{fn: fn}, true
}

// fastOperands compiles both sides of a binary node, which must not both be
// integers (the VM would compute in int).
func fastOperands(n *ast.BinaryNode) (l, r fastFormula, ok bool) {
	a, ok1 := fastNumber(n.Left)
	b, ok2 := fastNumber(n.Right)
	if !ok1 || !ok2 || (a.isInt && b.isInt) {
		return nil, nil, false
	}
	return a.float(), b.float(), true
}

// fastArith is runtime.Add, Subtract, Multiply, Divide and Exponent on
// float operands. Each result is converted explicitly so that no two
// operations fuse (the VM rounds after each).
func fastArith(n *ast.BinaryNode) (fastNum, bool) {
	l, r, ok := fastOperands(n)
	if !ok {
		return fastNum{}, false
	}
	var fn fastFormula
	switch n.Operator {
	case "+":
		fn = func(e formulaEnv) float64 { return float64(l(e) + r(e)) }
	case "-":
		fn = func(e formulaEnv) float64 { return float64(l(e) - r(e)) }
	case "*":
		fn = func(e formulaEnv) float64 { return float64(l(e) * r(e)) }
	case "/":
		fn = func(e formulaEnv) float64 { return float64(l(e) / r(e)) }
	case "**", "^":
		fn = func(e formulaEnv) float64 { return math.Pow(l(e), r(e)) }
	default:
		return fastNum{}, false
	}
	return fastNum{fn: fn}, true
}

// fastCall is a call of one of formulaOptions' functions (foldFunc and
// unaryFunc on float64 arguments).
func fastCall(n *ast.CallNode) (fastNum, bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return fastNum{}, false
	}
	args := make([]fastFormula, len(n.Arguments))
	for i, a := range n.Arguments {
		x, ok := fastNumber(a)
		if !ok {
			return fastNum{}, false
		}
		args[i] = x.float()
	}
	var fold func(a, b float64) float64
	var unary func(float64) float64
	switch id.Value {
	case "min":
		fold = minOf
	case "max":
		fold = maxOf
	case "abs":
		unary = math.Abs
	case "log":
		unary = math.Log
	case "log2":
		unary = math.Log2
	case "floor":
		unary = math.Floor
	case "ceil":
		unary = math.Ceil
	case "round":
		unary = math.Round
	default:
		return fastNum{}, false
	}
	switch {
	case unary != nil && len(args) == 1:
		x := args[0]
		return fastNum{fn: func(e formulaEnv) float64 { return unary(x(e)) }}, true
	case fold != nil && len(args) == 2:
		a, b := args[0], args[1]
		return fastNum{fn: func(e formulaEnv) float64 { return fold(a(e), b(e)) }}, true
	case fold != nil && len(args) > 2:
		return fastNum{fn: func(e formulaEnv) float64 {
			acc := args[0](e)
			for _, x := range args[1:] {
				acc = fold(acc, x(e))
			}
			return acc
		}}, true
	}
	return fastNum{}, false
}

// fastCond compiles a condition: a comparison of numbers (runtime.Less,
// Equal… on float operands), and/or/not of conditions, true or false.
func fastCond(node ast.Node) (fastBool, bool) {
	switch n := node.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(formulaEnv) bool { return v }, true
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil, false
		}
		c, ok := fastCond(n.Node)
		if !ok {
			return nil, false
		}
		return func(e formulaEnv) bool { return !c(e) }, true
	case *ast.BinaryNode:
		switch n.Operator {
		case "and", "&&", "or", "||":
			a, ok1 := fastCond(n.Left)
			b, ok2 := fastCond(n.Right)
			if !ok1 || !ok2 {
				return nil, false
			}
			if n.Operator == "and" || n.Operator == "&&" {
				return func(e formulaEnv) bool { return a(e) && b(e) }, true
			}
			return func(e formulaEnv) bool { return a(e) || b(e) }, true
		}
		l, r, ok := fastOperands(n)
		if !ok {
			return nil, false
		}
		switch n.Operator {
		case "<":
			return func(e formulaEnv) bool { return l(e) < r(e) }, true
		case ">":
			return func(e formulaEnv) bool { return l(e) > r(e) }, true
		case "<=":
			return func(e formulaEnv) bool { return l(e) <= r(e) }, true
		case ">=":
			return func(e formulaEnv) bool { return l(e) >= r(e) }, true
		case "==":
			return func(e formulaEnv) bool { return l(e) == r(e) }, true
		case "!=":
			return func(e formulaEnv) bool { return l(e) != r(e) }, true
		}
	}
	return nil, false
}
