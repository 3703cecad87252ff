package contest

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/rankstream/rankstream/event"
)

// Mission is one validated mission (CONTRACT.md §7 "Missions"): sequential
// steps over a user's counted events in a window.
//
// The window/schedule, lateness, scope, eligibility and anti_abuse rules are
// exactly a contest's: they are parsed by the contest parser into Base (a
// Contest without scoring or leaderboard), and Base's methods (WindowsAt,
// InScope, Eligible, StatusAt, CurrentWindow) decide for missions too.
type Mission struct {
	ID      string
	Title   string
	Version int

	Base *Contest // windows, lateness, scope, eligibility, anti_abuse

	// MaxEventDelay: an event arriving (stream time) later than this after
	// its ts is late (default DefaultMaxEventDelay).
	MaxEventDelay time.Duration

	Steps       []Step
	Completion  *MissionReward // nil: no completion reward
	AutoGrant   bool
	ClaimWindow time.Duration

	File   string
	Source []byte
}

// DefaultClaimWindow is claim_window when a mission omits it.
const DefaultClaimWindow = 72 * time.Hour

// MaxSteps bounds the steps of one mission (a step's goal scope is a bit of
// a 64-bit mask in the per-user state).
const MaxSteps = 64

// StepCompletion is the step name of a mission's completion reward.
const StepCompletion = "completion"

// Goal types.
const (
	GoalSpinCount     = "spin_count"
	GoalWinMultiplier = "win_multiplier"
	GoalWagerTotal    = "wager_total"
	GoalDistinctGames = "distinct_games"
)

// Step is one mission step.
type Step struct {
	ID     string
	Goal   Goal
	Reward *MissionReward // nil: the step pays nothing
}

// Goal is what completes a step.
type Goal struct {
	Type        string
	Count       int64   // spin_count, distinct_games
	Min         float64 // win_multiplier
	AmountMinor int64   // wager_total
	Scope       Scope   // empty lists: every counted event is in scope
}

// Target is the progress at which the goal is met: count, amount_minor, or
// 1 for win_multiplier (one event is enough).
func (g *Goal) Target() int64 {
	switch g.Type {
	case GoalWagerTotal:
		return g.AmountMinor
	case GoalWinMultiplier:
		return 1
	}
	return g.Count
}

// InScope reports whether ev passes the goal's own scope.
func (g *Goal) InScope(ev *event.Event) bool {
	s := &g.Scope
	return globMatch(s.Markets, ev.Market) &&
		globMatch(s.Brands, ev.Brand) &&
		globMatch(s.Providers, ev.GameProvider) &&
		globMatch(s.GameTypes, ev.GameType) &&
		globMatch(s.Games, ev.GameID)
}

// Reward kinds.
const (
	KindCash      = "cash"
	KindBonus     = "bonus"
	KindFreespins = "freespins"
	KindPoints    = "points"
)

// MissionReward is what a step or the completion pays.
type MissionReward struct {
	Kind        string `json:"kind"`
	Amount      int64  `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	Game        string `json:"game"`
}

// StepReward is the reward of step (a step id or StepCompletion), nil when
// it pays nothing.
func (m *Mission) StepReward(step string) *MissionReward {
	if step == StepCompletion {
		return m.Completion
	}
	for i := range m.Steps {
		if m.Steps[i].ID == step {
			return m.Steps[i].Reward
		}
	}
	return nil
}

// WindowsAt returns the mission windows containing ts (see Contest.WindowsAt).
func (m *Mission) WindowsAt(ts time.Time) []Window { return m.Base.WindowsAt(ts) }

// MissionRewardID is the reward_id of a mission step (CONTRACT.md §7):
// "rw_" + the first 32 hex digits of SHA-256 of
// "mission|<mission>|<window start RFC 3339 UTC>|<user_id>|<step>".
func MissionRewardID(mission string, windowStart time.Time, user, step string) string {
	sum := sha256.Sum256([]byte("mission|" + mission + "|" + windowStart.UTC().Format(time.RFC3339) + "|" + user + "|" + step))
	return "rw_" + hex.EncodeToString(sum[:16])
}
