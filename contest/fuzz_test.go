package contest

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/event"
)

// FuzzFormula: a formula that compiles never panics on any event, and its
// points are always an integer in [−10^15, 10^15] (NaN/±Inf give 0), capped
// by cap_per_event.
func FuzzFormula(f *testing.F) {
	for _, s := range []string{"min(multiplier, 50) * 100", "bet / (win - win)", "-1e30", "log(win - bet)",
		"multiplier ** 400", "round(bet / 3) - ceil(win)", "let m = max(bet, win, 2); m * m", "bet > 5 ? abs(win) : floor(log2(bet))"} {
		f.Add(s, int64(100), int64(250), 2.5, int64(900), false)
	}
	f.Add("bet * 1e200", int64(event.MaxAmountMinor), int64(0), 0.0, int64(0), true)
	f.Fuzz(func(t *testing.T, src string, bet, win int64, mult float64, dur int64, bonus bool) {
		prog, err := compileFormula(src)
		if err != nil {
			return
		}
		cp := int64(7_000)
		c := &Contest{Scoring: Scoring{Formula: src, BonusCoefficient: 0.5}, program: prog}
		capped := &Contest{Scoring: Scoring{Formula: src, BonusCoefficient: 0.5, CapPerEvent: &cp}, program: prog}
		ev := &event.Event{BetMinor: clampAmount(bet), WinMinor: clampAmount(win), Multiplier: math.Abs(mult), DurationMS: max(dur, 0), Funds: event.FundsCash}
		if math.IsNaN(ev.Multiplier) || math.IsInf(ev.Multiplier, 0) {
			ev.Multiplier = 0
		}
		if bonus {
			ev.Funds = event.FundsBonus
		}
		p := c.Points(ev)
		if p < -MaxEventPoints || p > MaxEventPoints {
			t.Fatalf("%q on %+v: %d points outside ±10^15", src, ev, p)
		}
		if q := capped.Points(ev); q != min(p, cp) {
			t.Fatalf("%q: capped %d, uncapped %d", src, q, p)
		}
	})
}

func clampAmount(v int64) int64 {
	if v < 0 {
		v = -(v + 1)
	}
	return v % (event.MaxAmountMinor + 1)
}

// FuzzParseContest: Parse never panics; it either returns a contest that
// satisfies the lint rules it promises, or LintErrors that all name the
// file and a line.
func FuzzParseContest(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yml", data)
		if err != nil {
			var le LintErrors
			if !errors.As(err, &le) || len(le) == 0 {
				t.Fatalf("error %v is not LintErrors", err)
			}
			for _, e := range le {
				if e.File != "f.yml" || e.Line < 0 || !strings.HasPrefix(e.Error(), "f.yml:") {
					t.Fatalf("lint error without file:line: %+v", e)
				}
			}
			return
		}
		if !event.ValidToken(c.ID, 1, 64) || (c.Window == nil) == (c.Schedule == nil) {
			t.Fatalf("accepted contest breaks id/window rules: %+v", c)
		}
		switch c.Leaderboard.Type {
		case TypeSum, TypeMax, TypeBestN:
		default:
			t.Fatalf("accepted leaderboard type %q", c.Leaderboard.Type)
		}
		if c.Leaderboard.Type == TypeBestN && c.Leaderboard.N < 1 {
			t.Fatalf("best_n with n %d", c.Leaderboard.N)
		}
		// A contest that parses scores any event without panicking.
		ev := &event.Event{BetMinor: 100, WinMinor: 250, Multiplier: 2.5, Funds: event.FundsBonus}
		if p := c.Points(ev); p < -MaxEventPoints || p > MaxEventPoints {
			t.Fatalf("points %d", p)
		}
	})
}
