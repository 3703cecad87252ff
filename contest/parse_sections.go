package contest

import (
	"math"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/yamlpos"
)

// identity reads id, title and version.
func (l *linter) identity(root *yaml.Node, fs map[string]kv, c *Contest) {
	if f := fs["id"]; f.present() {
		if s, ok := l.str(f, "id"); ok {
			if !event.ValidToken(s, 1, 64) {
				l.errAt(f.val, "id: must be 1..64 chars of [A-Za-z0-9_-], got %q", s)
			}
			c.ID = s
		}
	} else {
		l.missing(root, "", "id")
	}

	if f := fs["title"]; f.present() {
		if s, ok := l.str(f, "title"); ok {
			if strings.TrimSpace(s) == "" {
				l.errAt(f.val, "title: must not be empty")
			}
			c.Title = s
		}
	} else {
		l.missing(root, "", "title")
	}

	if f := fs["version"]; f.present() {
		if n, ok := l.integer(f, "version", 1); ok {
			if n > math.MaxInt32 {
				l.errAt(f.val, "version: too large")
			}
			c.Version = int(n)
		}
	}
}

// timing reads window or schedule, lateness and max_event_delay.
func (l *linter) timing(root *yaml.Node, fs map[string]kv, c *Contest) {
	win, sch := fs["window"], fs["schedule"]
	if win.present() {
		c.Window = l.window(win)
	}
	if sch.present() {
		c.Schedule = l.schedule(sch)
		if c.Schedule != nil && c.Schedule.TZ != nil {
			c.Location = c.Schedule.TZ
		}
	}
	switch {
	case win.present() && sch.present():
		l.errAt(later(win.key, sch.key), "window and schedule are mutually exclusive")
	case !win.present() && !sch.present():
		l.errAt(root, "one of window or schedule is required")
	}

	if f := fs["lateness"]; f.present() {
		c.Lateness, _ = l.duration(f, "lateness", false)
	}
	c.MaxEventDelay = DefaultMaxEventDelay
	if f := fs["max_event_delay"]; f.present() {
		c.MaxEventDelay, _ = l.duration(f, "max_event_delay", true)
	}
}

// rewards keeps the rewards mapping for the rewards stage (which lints it)
// after checking its budget.
func (l *linter) rewards(f kv, c *Contest) {
	if f.val.Kind != yaml.MappingNode {
		l.errAt(f.val, "rewards: must be a mapping, got %s", yamlpos.Describe(f.val))
	} else if at, msg := decodeBudget(f.val); at != nil {
		l.errAt(at, "rewards: %s", msg)
	} else {
		var m map[string]any
		if err := f.val.Decode(&m); err != nil {
			l.errAt(f.val, "rewards: %v", err)
		}
		c.Rewards = m
	}
}

func (l *linter) window(f kv) *FixedWindow {
	fs := l.fields(f.val, "window", "start", "end")
	if fs == nil {
		return nil
	}
	w := &FixedWindow{}
	okS, okE := false, false
	if g := fs["start"]; g.present() {
		w.Start, okS = l.timestamp(g, "window.start")
	} else {
		l.missing(f.key, "window", "start")
	}
	if g := fs["end"]; g.present() {
		w.End, okE = l.timestamp(g, "window.end")
		if okS && okE && !w.End.After(w.Start) {
			l.errAt(g.val, "window.end: must be after window.start")
		}
	} else {
		l.missing(f.key, "window", "end")
	}
	return w
}

func (l *linter) schedule(f kv) *Schedule {
	fs := l.fields(f.val, "schedule", "cron", "duration", "tz")
	if fs == nil {
		return nil
	}
	s := &Schedule{TZ: time.UTC, TZName: "UTC"}
	tzOK := true
	if g := fs["tz"]; g.present() {
		if name, ok := l.str(g, "schedule.tz"); ok {
			loc, err := time.LoadLocation(name)
			if err != nil || name == "" || strings.EqualFold(name, "Local") {
				l.errAt(g.val, "schedule.tz: unknown time zone %q", name)
				tzOK = false
			} else {
				s.TZ, s.TZName = loc, name
			}
		} else {
			tzOK = false
		}
	}
	if g := fs["cron"]; g.present() {
		if spec, ok := l.str(g, "schedule.cron"); ok {
			s.Cron = spec
			sp, err := parseCron(spec, s.TZ)
			if err != nil {
				l.errAt(g.val, "schedule.cron: invalid cron %q: %v", spec, err)
			} else if tzOK {
				s.spec = sp
			}
		}
	} else {
		l.missing(f.key, "schedule", "cron")
	}
	if g := fs["duration"]; g.present() {
		s.Duration, _ = l.duration(g, "schedule.duration", true)
	} else {
		l.missing(f.key, "schedule", "duration")
	}
	return s
}

func (l *linter) scope(f kv, s *Scope) {
	fs := l.fields(f.val, "scope", "markets", "brands", "providers", "game_types", "games")
	if fs == nil {
		return
	}
	list := func(name string) []string {
		g := fs[name]
		if !g.present() {
			return nil
		}
		p := "scope." + name
		vals, nodes, _ := l.strList(g, p)
		for i, v := range vals {
			if _, err := path.Match(v, ""); err != nil {
				l.errAt(nodes[i], "%s: invalid glob %q: %v", p, v, err)
			}
		}
		return vals
	}
	s.Markets = list("markets")
	s.Brands = list("brands")
	s.Providers = list("providers")
	s.GameTypes = list("game_types")
	s.Games = list("games")
}

func (l *linter) eligibility(f kv, e *Eligibility) {
	fs := l.fields(f.val, "eligibility", "event_types", "min_bet_minor", "min_round_duration_ms", "exclude_asn")
	if fs == nil {
		return
	}
	if g := fs["event_types"]; g.present() {
		vals, nodes, _ := l.strList(g, "eligibility.event_types")
		for i, v := range vals {
			if !oneOf(v, eventTypes) {
				l.errAt(nodes[i], "eligibility.event_types: unknown event type %q (want one of %s)", v, strings.Join(eventTypes, ", "))
			}
		}
		e.EventTypes = vals
	}
	if g := fs["min_bet_minor"]; g.present() {
		if n, ok := l.integer(g, "eligibility.min_bet_minor", 0); ok {
			e.MinBetMinor = &n
		}
	}
	if g := fs["min_round_duration_ms"]; g.present() {
		if n, ok := l.integer(g, "eligibility.min_round_duration_ms", 0); ok {
			e.MinRoundDurationMS = &n
		}
	}
	if g := fs["exclude_asn"]; g.present() {
		e.ExcludeASN, _, _ = l.strList(g, "eligibility.exclude_asn")
	}
}

func (l *linter) scoring(f kv, c *Contest) {
	fs := l.fields(f.val, "scoring", "formula", "model", "bonus_coefficient", "cap_per_event", "cap_per_user_per_day")
	if fs == nil {
		return
	}
	s := &c.Scoring
	fo, mo := fs["formula"], fs["model"]
	switch {
	case fo.present() && mo.present():
		l.errAt(later(fo.key, mo.key), "scoring: formula and model are mutually exclusive")
	case fo.present():
		if src, ok := l.str(fo, "scoring.formula"); ok {
			prog, err := compileFormula(src)
			if err != nil {
				l.errAt(fo.val, "scoring.formula: %v", err)
			}
			s.Formula, c.program = src, prog
			if prog != nil {
				c.fast = compileFast(prog.Node())
			}
		}
	case mo.present():
		if m, ok := l.str(mo, "scoring.model"); ok {
			if !oneOf(m, modelNames) {
				l.errAt(mo.val, "scoring.model: unknown model %q (want one of %s)", m, strings.Join(modelNames, ", "))
			}
			s.Model = m
		}
	default:
		l.errAt(f.key, "scoring: one of formula or model is required")
	}
	if g := fs["bonus_coefficient"]; g.present() {
		if x, ok := l.number(g, "scoring.bonus_coefficient"); ok {
			s.BonusCoefficient = x
		}
	}
	if g := fs["cap_per_event"]; g.present() {
		if n, ok := l.integer(g, "scoring.cap_per_event", 0); ok {
			s.CapPerEvent = &n
		}
	}
	if g := fs["cap_per_user_per_day"]; g.present() {
		if n, ok := l.integer(g, "scoring.cap_per_user_per_day", 0); ok {
			s.CapPerUserPerDay = &n
		}
	}
}

func (l *linter) leaderboard(f kv, lb *Leaderboard) {
	fs := l.fields(f.val, "leaderboard", "type", "n", "order", "tiebreakers", "divisions")
	if fs == nil {
		return
	}
	typeOK := true
	if g := fs["type"]; g.present() {
		if t, ok := l.str(g, "leaderboard.type"); ok {
			if !oneOf(t, boardTypes) {
				l.errAt(g.val, "leaderboard.type: unknown type %q (want one of %s)", t, strings.Join(boardTypes, ", "))
				typeOK = false
			}
			lb.Type = t
		} else {
			typeOK = false
		}
	}
	g := fs["n"]
	switch {
	case !typeOK:
	case lb.Type == TypeBestN && g.present():
		if n, ok := l.integer(g, "leaderboard.n", 1); ok {
			if n > math.MaxInt32 {
				l.errAt(g.val, "leaderboard.n: too large")
			}
			lb.N = int(n)
		}
	case lb.Type == TypeBestN:
		l.errAt(f.key, "leaderboard.n: required for type best_n (n >= 1)")
	case g.present():
		l.errAt(g.key, "leaderboard.n: only allowed for type best_n")
	}
	if g := fs["order"]; g.present() {
		if o, ok := l.str(g, "leaderboard.order"); ok {
			if !oneOf(o, orders) {
				l.errAt(g.val, "leaderboard.order: must be desc or asc, got %q", o)
			}
			lb.Order = o
		}
	}
	if g := fs["tiebreakers"]; g.present() {
		vals, nodes, _ := l.strList(g, "leaderboard.tiebreakers")
		seen := map[string]bool{}
		for i, v := range vals {
			switch {
			case !oneOf(v, tiebreakers):
				l.errAt(nodes[i], "leaderboard.tiebreakers: unknown tiebreaker %q (want one of %s)", v, strings.Join(tiebreakers, ", "))
			case seen[v]:
				l.errAt(nodes[i], "leaderboard.tiebreakers: duplicate tiebreaker %q", v)
			case (v == TieFewestRounds && seen[TieMostRounds]) || (v == TieMostRounds && seen[TieFewestRounds]):
				l.errAt(nodes[i], "leaderboard.tiebreakers: fewest_rounds and most_rounds are mutually exclusive")
			}
			seen[v] = true
		}
		lb.Tiebreakers = vals
	}
	if g := fs["divisions"]; g.present() {
		if d, ok := l.str(g, "leaderboard.divisions"); ok {
			if !oneOf(d, divisions) {
				l.errAt(g.val, "leaderboard.divisions: unknown division %q (want one of %s)", d, strings.Join(divisions, ", "))
			}
			lb.Divisions = d
		}
	}
}
