package oracle

import (
	"fmt"
	"math"
	"path"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/robfig/cron/v3"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// rules is one contest prepared for the oracle: only the struct's fields are
// read; every behaviour (windows, scope, eligibility, points) is implemented
// here from the contract's text, not by the contest package's methods.
type rules struct {
	c     *contest.Contest
	sched cron.Schedule // nil for a fixed window
	loc   *time.Location
	prog  *vm.Program // nil when a model is used
	env   map[string]any
	div   func(*event.Event) string
}

// window is one concrete contest window [start, end).
type window struct{ start, end time.Time }

// prepare checks and compiles what Compute needs. A contest the oracle cannot
// interpret is a bug in the test that built it, so it panics loudly rather
// than silently computing something else.
func prepare(c *contest.Contest) *rules {
	r := &rules{c: c}
	switch {
	case c.Window != nil && c.Schedule != nil:
		panic(fmt.Sprintf("oracle: contest %s has both window and schedule", c.ID))
	case c.Schedule != nil:
		s, err := cron.ParseStandard(c.Schedule.Cron)
		if err != nil {
			panic(fmt.Sprintf("oracle: contest %s: cron %q: %v", c.ID, c.Schedule.Cron, err))
		}
		spec, ok := s.(*cron.SpecSchedule)
		if !ok {
			// "@every D" has no fixed fire times, so windows would depend on
			// where the search starts.
			panic(fmt.Sprintf("oracle: contest %s: cron %q has no fixed fire times", c.ID, c.Schedule.Cron))
		}
		if spec.Location == time.Local { // no CRON_TZ= in the spec: use the schedule tz
			spec.Location = time.UTC
			if c.Schedule.TZ != nil {
				spec.Location = c.Schedule.TZ
			}
		}
		r.sched = spec
	}

	// Contest tz for daily caps: schedule tz, else the contest's Location (set
	// by the parser), else UTC.
	r.loc = time.UTC
	if c.Schedule != nil && c.Schedule.TZ != nil {
		r.loc = c.Schedule.TZ
	} else if c.Location != nil {
		r.loc = c.Location
	}

	switch {
	case c.Scoring.Formula != "":
		r.env = map[string]any{"bet": 0.0, "win": 0.0, "multiplier": 0.0, "duration_ms": 0.0}
		opts := []expr.Option{expr.Env(r.env), expr.DisableAllBuiltins(), expr.AsFloat64()}
		opts = append(opts, formulaFuncs()...)
		prog, err := expr.Compile(c.Scoring.Formula, opts...)
		if err != nil {
			panic(fmt.Sprintf("oracle: contest %s: formula %q: %v", c.ID, c.Scoring.Formula, err))
		}
		r.prog = prog
	case oneOf(c.Scoring.Model, "multiplier_log", "win_amount", "wager"):
	default:
		panic(fmt.Sprintf("oracle: contest %s: neither formula nor a known model (%q)", c.ID, c.Scoring.Model))
	}

	r.div = divisionField(c.ID, c.Leaderboard.Divisions)

	switch c.Leaderboard.Type {
	case contest.TypeSum, contest.TypeMax, contest.TypeBestN:
	default:
		panic(fmt.Sprintf("oracle: contest %s: leaderboard type %q", c.ID, c.Leaderboard.Type))
	}
	switch c.Leaderboard.Order {
	case "", "desc", "asc":
	default:
		panic(fmt.Sprintf("oracle: contest %s: order %q", c.ID, c.Leaderboard.Order))
	}
	for _, t := range c.Leaderboard.Tiebreakers {
		switch t {
		case contest.TieHighestSingleMultiplier, contest.TieFewestRounds, contest.TieMostRounds, contest.TieEarliestFinish:
		default:
			panic(fmt.Sprintf("oracle: contest %s: tie-breaker %q", c.ID, t))
		}
	}
	return r
}

// windows lists every window of the contest with start ≤ ts < end. Recurring
// windows start at each cron fire time and last Duration, so they may overlap;
// an event then belongs to each of them.
func (r *rules) windows(ts time.Time) []window {
	if w := r.c.Window; w != nil {
		if !ts.Before(w.Start) && ts.Before(w.End) {
			return []window{{w.Start, w.End}}
		}
		return nil
	}
	if r.sched == nil || r.c.Schedule.Duration <= 0 {
		return nil
	}
	d := r.c.Schedule.Duration
	var out []window
	// Fire times t with ts-d < t ≤ ts, i.e. t ≤ ts < t+d. Next(x) is the first
	// fire time strictly after x.
	from := ts.Add(-d)
	for {
		t := r.sched.Next(from)
		if t.IsZero() || t.After(ts) {
			return out
		}
		out = append(out, window{t, t.Add(d)})
		from = t
	}
}

// inScope: every non-empty scope list must match its field with a path.Match
// glob. An absent field is matched as "" (so "*" matches it, "DE" does not); a
// malformed pattern matches nothing.
func (r *rules) inScope(ev *event.Event) bool {
	s := r.c.Scope
	return globAny(s.Markets, ev.Market) && globAny(s.Brands, ev.Brand) &&
		globAny(s.Providers, ev.GameProvider) && globAny(s.GameTypes, ev.GameType) &&
		globAny(s.Games, ev.GameID)
}

func globAny(patterns []string, v string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, err := path.Match(p, v); err == nil && ok {
			return true
		}
	}
	return false
}

// eligible: event_types (exact), min_bet_minor, min_round_duration_ms (an event
// without duration fails it), exclude_asn (exact), and bonus events are out
// when bonus_coefficient is 0.
func (r *rules) eligible(ev *event.Event) bool {
	e := r.c.Eligibility
	if len(e.EventTypes) > 0 && !oneOf(ev.Type, e.EventTypes...) {
		return false
	}
	if e.MinBetMinor != nil && ev.BetMinor < *e.MinBetMinor {
		return false
	}
	if e.MinRoundDurationMS != nil && (!ev.HasDuration || ev.DurationMS < *e.MinRoundDurationMS) {
		return false
	}
	if len(e.ExcludeASN) > 0 && oneOf(ev.ASN, e.ExcludeASN...) {
		return false
	}
	if ev.Funds == "bonus" && r.c.Scoring.BonusCoefficient == 0 {
		return false
	}
	return true
}

// basePoints is the event's points before the daily cap: formula/model value,
// × bonus_coefficient for bonus funds, rounded half away from zero (NaN/±Inf
// and evaluation errors → 0), clamped to ±10^15 (see arith.go), then capped
// by cap_per_event. wager and win_amount are exact integer products.
func (r *rules) basePoints(ev *event.Event) int64 {
	coef := 1.0
	if ev.Funds == "bonus" {
		coef = r.c.Scoring.BonusCoefficient
	}
	var p int64
	switch {
	case r.prog == nil && r.c.Scoring.Model == "wager":
		p = exactPoints(ev.BetMinor, coef)
	case r.prog == nil && r.c.Scoring.Model == "win_amount":
		p = exactPoints(ev.WinMinor, coef)
	default:
		var v float64
		if r.prog != nil {
			r.env["bet"] = float64(ev.BetMinor)
			r.env["win"] = float64(ev.WinMinor)
			r.env["multiplier"] = ev.Multiplier
			r.env["duration_ms"] = float64(ev.DurationMS) // 0 when absent
			out, err := vm.Run(r.prog, r.env)
			if err != nil {
				v = 0
			} else {
				v = toFloat(out)
			}
		} else if r.c.Scoring.Model == "multiplier_log" {
			v = roundHalfAway(100 * math.Log2(ev.Multiplier+1))
		}
		p = clampFloat(v * coef)
	}
	if cp := r.c.Scoring.CapPerEvent; cp != nil && p > *cp {
		p = *cp
	}
	return p
}

// roundHalfAway rounds half away from zero (math.Round does exactly that).
func roundHalfAway(v float64) float64 { return math.Round(v) }

func toFloat(x any) float64 {
	switch n := x.(type) {
	case float64:
		return n
	case float32:
		return float64(n)
	case int:
		return float64(n)
	case int8:
		return float64(n)
	case int16:
		return float64(n)
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	case uint:
		return float64(n)
	case uint8:
		return float64(n)
	case uint16:
		return float64(n)
	case uint32:
		return float64(n)
	case uint64:
		return float64(n)
	}
	return math.NaN() // not a number → 0 points
}

// formulaFuncs are exactly the contract's functions, all on float64:
// min max (one or more arguments), abs, log (natural), log2, floor, ceil, round
// (half away from zero). Builtins of expr are disabled so nothing else exists.
func formulaFuncs() []expr.Option {
	unary := func(name string, f func(float64) float64) expr.Option {
		return expr.Function(name, func(args ...any) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("%s wants 1 argument, got %d", name, len(args))
			}
			return f(toFloat(args[0])), nil
		})
	}
	fold := func(name string, pick func(a, b float64) float64) expr.Option {
		return expr.Function(name, func(args ...any) (any, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("%s wants at least 1 argument", name)
			}
			m := toFloat(args[0])
			for _, a := range args[1:] {
				m = pick(m, toFloat(a))
			}
			return m, nil
		})
	}
	return []expr.Option{
		fold("min", math.Min),
		fold("max", math.Max),
		unary("abs", math.Abs),
		unary("log", math.Log),
		unary("log2", math.Log2),
		unary("floor", math.Floor),
		unary("ceil", math.Ceil),
		unary("round", roundHalfAway),
	}
}

// divisionField maps the leaderboard's divisions field to the event value.
func divisionField(id, name string) func(*event.Event) string {
	switch name {
	case "":
		return func(*event.Event) string { return "" }
	case "market":
		return func(e *event.Event) string { return e.Market }
	case "brand":
		return func(e *event.Event) string { return e.Brand }
	case "provider", "game.provider", "game_provider":
		return func(e *event.Event) string { return e.GameProvider }
	case "game_type", "game.type":
		return func(e *event.Event) string { return e.GameType }
	case "game", "game.id", "game_id":
		return func(e *event.Event) string { return e.GameID }
	case "platform", "device.platform":
		return func(e *event.Event) string { return e.Platform }
	}
	panic(fmt.Sprintf("oracle: contest %s: divisions %q", id, name))
}
