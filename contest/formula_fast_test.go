package contest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/rankstream/rankstream/event"
)

// fastSamples are formulas with a fast path; fastless have none (the VM
// runs them).
var (
	fastSamples = []string{
		"min(multiplier, 50) * 100", "bet * 0.01", "bet / (win - win)", "-1e30", "log(win - bet)",
		"multiplier ** 400", "round(bet / 3) - ceil(win)", "bet > 5 ? abs(win) : floor(log2(bet))",
		"max(bet, win, 2, multiplier) - min(1, bet, duration_ms)", "win / bet * 100 + 0.5",
		"bet >= 100 && !(win == 0) || multiplier != 2.5 ? +bet : -win", "2 ^ multiplier - 1",
		"bet * 3 / 7 - win * 0.1 + duration_ms / 1000", "(bet + 1) * (win - 1) * 1e-3",
		"if bet < win { win - bet } else { 0.5 * bet }", "floor(multiplier) <= 3 ? 1.5 : round(multiplier)",
		"1 - bet", "abs(-win) * 2", "bet ** 2 ** 0.5",
	}
	fastless = []string{
		"100", "let m = max(bet, win, 2); m * m", "bet > 5 ? 1 : win", "(bet > win ? 2 : 3) * 4",
	}
)

// vmValue is what the VM gives for env (NaN when it fails), as rawValue
// computes it without the fast path.
func vmValue(t testing.TB, prog *vm.Program, env formulaEnv) float64 {
	out, err := vm.Run(prog, env)
	if err != nil {
		return math.NaN()
	}
	v, err := toFloat(out)
	if err != nil {
		t.Fatalf("VM result %T", out)
	}
	return v
}

func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func fastEnvs(r *rand.Rand, n int) []formulaEnv {
	envs := append([]formulaEnv(nil), formulaSamples[:]...)
	edge := []float64{0, math.Copysign(0, -1), 1, 2.5, 5, 100, 1e15, 1e300, math.Inf(1), math.NaN(), 1.0 / 3}
	for range n {
		pick := func() float64 {
			if r.IntN(3) == 0 {
				return edge[r.IntN(len(edge))]
			}
			return math.Round(r.Float64()*1e6) / float64(1+r.IntN(1000))
		}
		envs = append(envs, formulaEnv{Bet: pick(), Win: pick(), Multiplier: pick(), DurationMS: pick()})
	}
	return envs
}

// TestFastFormulaAgrees: the fast path gives the VM's bits on every
// sample, and the formulas it cannot do exactly have none.
func TestFastFormulaAgrees(t *testing.T) {
	envs := fastEnvs(rand.New(rand.NewPCG(1, 2)), 2000)
	for _, src := range fastSamples {
		prog, err := compileFormula(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		fast := compileFast(prog.Node())
		if fast == nil {
			t.Fatalf("%q: no fast path", src)
		}
		for _, env := range envs {
			if got, want := fast(env), vmValue(t, prog, env); !sameFloat(got, want) {
				t.Fatalf("%q on %+v: fast %v, VM %v", src, env, got, want)
			}
		}
	}
	for _, src := range fastless {
		prog, err := compileFormula(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if compileFast(prog.Node()) != nil {
			t.Fatalf("%q: has a fast path", src)
		}
	}
}

// TestParsedContestUsesFastPath: Parse sets the fast path, and Points is
// the same with and without it.
func TestParsedContestUsesFastPath(t *testing.T) {
	c, err := Parse("f.yml", []byte("id: f\ntitle: f\nwindow: {start: 2026-01-01T00:00:00Z, end: 2026-02-01T00:00:00Z}\n"+
		"scoring: {formula: \"min(multiplier, 50) * 100\", bonus_coefficient: 0.5}\nleaderboard: {type: sum}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.fast == nil {
		t.Fatal("parsed formula contest has no fast path")
	}
	slow := *c
	slow.fast = nil
	for i, m := range []float64{0, 0.3, 1.005, 2.5, 49.999, 50, 1e9} {
		ev := &event.Event{BetMinor: int64(10 * i), Multiplier: m, Funds: []string{event.FundsCash, event.FundsBonus}[i%2]}
		if got, want := c.Points(ev), slow.Points(ev); got != want {
			t.Fatalf("multiplier %v: fast %d, VM %d", m, got, want)
		}
	}
}

// FuzzFastFormula: wherever a formula has a fast path, it gives the VM's
// bits.
func FuzzFastFormula(f *testing.F) {
	for _, s := range append(append([]string{}, fastSamples...), fastless...) {
		f.Add(s, 100.0, 250.0, 2.5, 900.0)
	}
	f.Fuzz(func(t *testing.T, src string, bet, win, mult, dur float64) {
		prog, err := compileFormula(src)
		if err != nil {
			return
		}
		fast := compileFast(prog.Node())
		if fast == nil {
			return
		}
		env := formulaEnv{Bet: bet, Win: win, Multiplier: mult, DurationMS: dur}
		if got, want := fast(env), vmValue(t, prog, env); !sameFloat(got, want) {
			t.Fatalf("%q on %+v: fast %v, VM %v", src, env, got, want)
		}
	})
}

// BenchmarkPoints: one event's points on the VM and on the fast path.
//
//	go test ./contest -run '^$' -bench Points -benchmem -count 5
func BenchmarkPoints(b *testing.B) {
	ev := &event.Event{BetMinor: 120, WinMinor: 300, Multiplier: 2.5, Funds: event.FundsCash}
	for _, src := range []string{"min(multiplier, 50) * 100", "bet * 0.01"} {
		prog, err := compileFormula(src)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []struct {
			name string
			fast fastFormula
		}{{"vm", nil}, {"fast", compileFast(prog.Node())}} {
			c := &Contest{Scoring: Scoring{Formula: src, BonusCoefficient: 1}, program: prog, fast: mode.fast}
			b.Run(src+"/"+mode.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c.Points(ev)
				}
			})
		}
	}
}
