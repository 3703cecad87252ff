package contest

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/rankstream/rankstream/event"
)

// Scoring models (CONTRACT.md §3).
const (
	ModelMultiplierLog = "multiplier_log"
	ModelWinAmount     = "win_amount"
	ModelWager         = "wager"
)

// formulaEnv is everything a formula can name besides its functions.
type formulaEnv struct {
	Bet        float64 `expr:"bet"`
	Win        float64 `expr:"win"`
	Multiplier float64 `expr:"multiplier"`
	DurationMS float64 `expr:"duration_ms"`
}

func envOf(ev *event.Event) formulaEnv {
	return formulaEnv{
		Bet:        float64(ev.BetMinor),
		Win:        float64(ev.WinMinor),
		Multiplier: ev.Multiplier,
		DurationMS: float64(ev.DurationMS),
	}
}

// errNotNumber is returned by formula functions given a non-number.
var errNotNumber = errors.New("argument is not a number")

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("%w: %T", errNotNumber, v)
}

func unaryFunc(f func(float64) float64) func(...any) (any, error) {
	return func(p ...any) (any, error) {
		if len(p) != 1 {
			return nil, fmt.Errorf("want 1 argument, got %d", len(p))
		}
		x, err := toFloat(p[0])
		if err != nil {
			return nil, err
		}
		return f(x), nil
	}
}

func foldFunc(f func(a, b float64) float64) func(...any) (any, error) {
	return func(p ...any) (any, error) {
		if len(p) < 2 {
			return nil, fmt.Errorf("want at least 2 arguments, got %d", len(p))
		}
		acc, err := toFloat(p[0])
		if err != nil {
			return nil, err
		}
		for _, v := range p[1:] {
			x, err := toFloat(v)
			if err != nil {
				return nil, err
			}
			acc = f(acc, x)
		}
		return acc, nil
	}
}

func minOf(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	if b < a {
		return b
	}
	return a
}

func maxOf(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	if b > a {
		return b
	}
	return a
}

// formulaOptions is the expression language of CONTRACT.md §3: the variables
// of formulaEnv, the functions min max abs log log2 floor ceil round (log is
// the natural logarithm; round is half away from zero; min/max take 2 or more
// arguments), no other builtins, and a number as result.
func formulaOptions() []expr.Option {
	unary := new(func(float64) float64)
	variadic := new(func(float64, float64, ...float64) float64)
	return []expr.Option{
		expr.Env(formulaEnv{}),
		expr.DisableAllBuiltins(),
		expr.AsFloat64(),
		expr.Function("min", foldFunc(minOf), variadic),
		expr.Function("max", foldFunc(maxOf), variadic),
		expr.Function("abs", unaryFunc(math.Abs), unary),
		expr.Function("log", unaryFunc(math.Log), unary),
		expr.Function("log2", unaryFunc(math.Log2), unary),
		expr.Function("floor", unaryFunc(math.Floor), unary),
		expr.Function("ceil", unaryFunc(math.Ceil), unary),
		expr.Function("round", unaryFunc(math.Round), unary),
	}
}

// formulaSamples are events a formula is tried on at parse time, to catch a
// result that is not a number on some path the type checker cannot see.
var formulaSamples = [...]formulaEnv{
	{},
	{Bet: 100, Win: 250, Multiplier: 2.5, DurationMS: 1200},
	{Bet: 50, Win: 0, Multiplier: 0, DurationMS: 300},
	{Bet: 1000, Win: 1_000_000, Multiplier: 1000, DurationMS: 60_000},
}

// compileFormula compiles a scoring formula once, at parse time.
func compileFormula(src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("formula is empty")
	}
	if len(src) > MaxFormulaBytes {
		return nil, fmt.Errorf("invalid formula: %d bytes, at most %d allowed", len(src), MaxFormulaBytes)
	}
	prog, err := expr.Compile(src, formulaOptions()...)
	if err != nil {
		// expr appends a source excerpt on further lines; keep the first.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("invalid formula: %s", msg)
	}
	if !numericResult(prog.Node()) {
		return nil, errors.New("invalid formula: must return a number")
	}
	if err := checkFormulaShape(src); err != nil {
		return nil, err
	}
	for _, env := range formulaSamples {
		out, err := vm.Run(prog, env)
		if err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			return nil, fmt.Errorf("invalid formula: fails on bet=%g win=%g multiplier=%g duration_ms=%g: %s",
				env.Bet, env.Win, env.Multiplier, env.DurationMS, msg)
		}
		if _, ok := out.(float64); !ok {
			return nil, fmt.Errorf("invalid formula: must return a number, got %T", out)
		}
	}
	return prog, nil
}

// numericResult reports whether the checked expression yields a number: its
// type is numeric, or it is unknown to the checker (a conditional with
// branches of different numeric types) and every branch is numeric.
func numericResult(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.ConditionalNode:
		return numericResult(n.Exp1) && numericResult(n.Exp2)
	case *ast.VariableDeclaratorNode:
		return numericResult(n.Expr)
	case *ast.SequenceNode:
		return len(n.Nodes) > 0 && numericResult(n.Nodes[len(n.Nodes)-1])
	case *ast.NilNode:
		return false
	}
	t := n.Type()
	if t == nil {
		return true // unknown: left to the sample runs
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Interface:
		return true
	}
	return false
}

// rawValue is the formula's or model's value for ev, before the bonus
// coefficient, rounding and caps. It is NaN when the formula fails.
func (c *Contest) rawValue(ev *event.Event) float64 {
	switch c.Scoring.Model {
	case ModelMultiplierLog:
		return math.Round(100 * math.Log2(ev.Multiplier+1))
	case ModelWinAmount:
		return float64(ev.WinMinor)
	case ModelWager:
		return float64(ev.BetMinor)
	}
	if c.fast != nil {
		return c.fast(envOf(ev))
	}
	prog := c.program
	if prog == nil {
		if c.Scoring.Formula == "" {
			return math.NaN()
		}
		// A Contest built by hand rather than by Parse: compile now.
		p, err := compileFormula(c.Scoring.Formula)
		if err != nil {
			return math.NaN()
		}
		prog = p
	}
	out, err := vm.Run(prog, envOf(ev))
	if err != nil {
		return math.NaN()
	}
	v, err := toFloat(out)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Points is the score of one event (CONTRACT.md §3): the formula's (or
// model's) value, times bonus_coefficient for funds=bonus, rounded half away
// from zero, clamped to ±10^15, then capped by cap_per_event. The daily cap is
// not applied here. A non-finite value (NaN, ±Inf) or a failing formula gives
// 0. The wager and win_amount models are exact integer arithmetic.
func (c *Contest) Points(ev *event.Event) int64 {
	coef := 1.0
	if ev.Funds == event.FundsBonus {
		coef = c.Scoring.BonusCoefficient
	}
	var p int64
	switch c.Scoring.Model {
	case ModelWager:
		p = mulRound(ev.BetMinor, coef)
	case ModelWinAmount:
		p = mulRound(ev.WinMinor, coef)
	default:
		p = pointsOfFloat(c.rawValue(ev) * coef)
	}
	if cp := c.Scoring.CapPerEvent; cp != nil && p > *cp {
		p = *cp
	}
	return p
}
