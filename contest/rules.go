package contest

import (
	"path"
	"slices"
	"time"

	"github.com/rankstream/rankstream/event"
)

// Division fields of leaderboard.divisions.
const (
	DivMarket   = "market"
	DivBrand    = "brand"
	DivProvider = "provider"
	DivGameType = "game_type"
	DivGame     = "game"
	DivPlatform = "platform"
)

// globMatch reports whether v matches one of pats (path.Match syntax); an
// empty list matches everything. Patterns were validated by Parse; an invalid
// one matches nothing.
func globMatch(pats []string, v string) bool {
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		if p == v {
			return true
		}
		if ok, err := path.Match(p, v); ok && err == nil {
			return true
		}
	}
	return false
}

// InScope reports whether ev passes every scope list of the contest.
func (c *Contest) InScope(ev *event.Event) bool {
	s := &c.Scope
	return globMatch(s.Markets, ev.Market) &&
		globMatch(s.Brands, ev.Brand) &&
		globMatch(s.Providers, ev.GameProvider) &&
		globMatch(s.GameTypes, ev.GameType) &&
		globMatch(s.Games, ev.GameID)
}

// Eligible returns "" when ev may count, or the reason it may not:
// ReasonIneligible (event type, bet, round duration, network), or
// ReasonBonusExcl for a bonus-funded event when bonus_coefficient is 0.
// The eligibility rules are checked before the bonus rule.
func (c *Contest) Eligible(ev *event.Event) string {
	e := &c.Eligibility
	if len(e.EventTypes) > 0 && !slices.Contains(e.EventTypes, ev.Type) {
		return ReasonIneligible
	}
	if e.MinBetMinor != nil && ev.BetMinor < *e.MinBetMinor {
		return ReasonIneligible
	}
	if e.MinRoundDurationMS != nil && (!ev.HasDuration || ev.DurationMS < *e.MinRoundDurationMS) {
		return ReasonIneligible
	}
	if len(e.ExcludeASN) > 0 && slices.Contains(e.ExcludeASN, ev.ASN) {
		return ReasonIneligible
	}
	if ev.Funds == "bonus" && c.Scoring.BonusCoefficient == 0 {
		return ReasonBonusExcl
	}
	return ""
}

// Division is the value of the leaderboard's division field for ev, or ""
// when the board has no divisions.
func (c *Contest) Division(ev *event.Event) string {
	switch c.Leaderboard.Divisions {
	case DivMarket:
		return ev.Market
	case DivBrand:
		return ev.Brand
	case DivProvider:
		return ev.GameProvider
	case DivGameType:
		return ev.GameType
	case DivGame:
		return ev.GameID
	case DivPlatform:
		return ev.Platform
	}
	return ""
}

// Day is the day number of ts in the contest time zone: days since
// 1970-01-01 of the calendar date ts has in c.Location (UTC when unset).
func (c *Contest) Day(ts time.Time) int64 {
	loc := c.Location
	if loc == nil || loc == time.UTC {
		return floorDiv(ts.Unix(), 86400) // a UTC day is 86400 s, from midnight
	}
	y, m, d := ts.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
