// Package contest is the pure domain of rankstream: contest rules (parse,
// validate, windows, scope, eligibility, points, tie-break order) and the
// per-user scoring state that turns a user's events into a standing. It does no
// I/O, so the live scorer, replay and simulate share exactly this code.
package contest

import (
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/robfig/cron/v3"
)

// Contest is one validated contest version (CONTRACT.md §3).
type Contest struct {
	ID      string
	Title   string
	Version int

	// Exactly one of Window and Schedule is set.
	Window   *FixedWindow
	Schedule *Schedule

	Lateness time.Duration
	// MaxEventDelay: an event arriving later than this after its ts is late
	// (CONTRACT.md §3). Parse sets DefaultMaxEventDelay when the key is
	// absent; 0 (a contest built by hand) also means the default.
	MaxEventDelay time.Duration
	Scope         Scope
	Eligibility   Eligibility
	Scoring       Scoring
	Leaderboard   Leaderboard
	AntiAbuse     AntiAbuse
	// Rewards is the raw rewards section, kept for the rewards stage.
	Rewards map[string]any
	// NotifyTop are the entered_top notice levels (CONTRACT.md §5); nil:
	// the default [10, 50, 100] (see NotifyLevels).
	NotifyTop []int

	// Location is the contest time zone: Schedule.TZ, else UTC. Daily caps use it.
	Location *time.Location

	File   string // where it was loaded from, for messages
	Source []byte // the file as read

	program *vm.Program // compiled Scoring.Formula, nil for models
	fast    fastFormula // program's fast path (formula_fast.go), nil when it has none
	// win caches WindowsAt (windows_cache.go); set by Parse, nil (no
	// cache) on a contest built by hand.
	win *windowCache
}

// FixedWindow is the single window of a non-recurring contest.
type FixedWindow struct {
	Start, End time.Time
}

// Schedule describes recurring windows: one starts at each cron fire time (in TZ)
// and lasts Duration.
type Schedule struct {
	Cron     string
	Duration time.Duration
	TZ       *time.Location
	TZName   string

	spec *cron.SpecSchedule // Cron parsed by Parse, evaluated in TZ; nil when built by hand
}

// Window is one concrete window of a contest, [Start, End).
type Window struct {
	Start, End time.Time
}

// Key is the window's identity: its start in Unix seconds.
func (w Window) Key() int64 { return w.Start.Unix() }

// Contains reports start ≤ ts < end.
func (w Window) Contains(ts time.Time) bool { return !ts.Before(w.Start) && ts.Before(w.End) }

// Scope filters events by where they come from. An empty list does not filter.
// Entries may be globs (path.Match syntax).
type Scope struct {
	Markets   []string
	Brands    []string
	Providers []string
	GameTypes []string
	Games     []string
}

// Eligibility filters events by what they are. Nil/empty means no filter.
type Eligibility struct {
	EventTypes         []string
	MinBetMinor        *int64
	MinRoundDurationMS *int64
	ExcludeASN         []string
}

// Scoring turns one event into points.
type Scoring struct {
	Formula          string // expression, or "" when Model is set
	Model            string // multiplier_log | win_amount | wager, or ""
	BonusCoefficient float64
	CapPerEvent      *int64
	CapPerUserPerDay *int64
}

// Board types.
const (
	TypeSum   = "sum"
	TypeBestN = "best_n"
	TypeMax   = "max"
)

// Tie-breakers.
const (
	TieHighestSingleMultiplier = "highest_single_multiplier"
	TieFewestRounds            = "fewest_rounds"
	TieMostRounds              = "most_rounds"
	TieEarliestFinish          = "earliest_finish"
)

// Leaderboard says how standings are scored and ordered.
type Leaderboard struct {
	Type        string // sum | best_n | max
	N           int    // for best_n
	Order       string // desc | asc
	Tiebreakers []string
	Divisions   string // event field name ("market", "brand", …) or ""
}

// AntiAbuse limits. Zero means no limit.
type AntiAbuse struct {
	MaxEventsPerUserPerSec int
	Flags                  AbuseFlags // anti_abuse.flags (flags_parse.go)
}

// Statuses of a contest window (CONTRACT.md §4).
const (
	StatusScheduled = "scheduled"
	StatusLive      = "live"
	StatusClosing   = "closing"
	StatusFinal     = "final"
	StatusFrozen    = "frozen"
)

// Results of the scoring rules for one (event, contest): the metrics labels
// of rankstream_accruals_total and the accruals.result values of CONTRACT.md
// §3 and §9, each reason its own.
const (
	ReasonOutOfScope = "out_of_scope"
	ReasonIneligible = "ineligible"
	// ReasonBonusExcl: a bonus-funded event when bonus_coefficient is 0; the
	// contract lists it under eligibility, so it reports as ineligible.
	ReasonBonusExcl     = ReasonIneligible
	ReasonOutsideWindow = "outside_window"
	ReasonLate          = "late"
	ReasonDuplicate     = "duplicate"
	ReasonRateLimited   = "rate_limited"
	ReasonFrozen        = "frozen"
	ReasonCounted       = "counted"
)
