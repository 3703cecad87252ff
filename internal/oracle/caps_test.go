package oracle

import (
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

func TestScope(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scope = contest.Scope{Markets: []string{"DE", "S*"}, Providers: []string{"acme", "hack*"},
			GameTypes: []string{"slot"}, Games: []string{"g_*"}}
	})
	base := E{User: "u1", TS: 1, Market: "DE", Provider: "acme", GameType: "slot", Game: "g_1", Bet: 1}
	mk := func(id string, bet int64, mod func(*E)) E {
		e := base
		e.ID, e.Bet = id, bet
		mod(&e)
		return e
	}
	got := run([]*contest.Contest{c}, arr(
		mk("a", 1, func(e *E) {}),                          // in
		mk("b", 2, func(e *E) { e.Market = "SE" }),         // glob S*
		mk("c", 4, func(e *E) { e.Market = "FI" }),         // out
		mk("d", 8, func(e *E) { e.Market = "" }),           // no market: out
		mk("e", 16, func(e *E) { e.Provider = "hacksaw" }), // glob
		mk("f", 32, func(e *E) { e.Provider = "pragma" }),  // out
		mk("g", 64, func(e *E) { e.GameType = "live" }),    // out
		mk("h", 128, func(e *E) { e.GameType = "" }),       // out
		mk("i", 256, func(e *E) { e.Game = "x_1" }),        // out
		mk("j", 512, func(e *E) { e.Brand = "anything" }),  // brands not listed: no filter
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 1 + 2 + 16 + 512, 0, 4, fin(1)}}}, 0, 0)

	// "*" matches an absent field ("").
	c.Scope = contest.Scope{Markets: []string{"*"}}
	got = run([]*contest.Contest{c}, arr(E{ID: "a", User: "u1", TS: 1, Bet: 3}))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 3, 0, 1, fin(1)}}}, 0, 0)
}

func TestEligibility(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Eligibility = contest.Eligibility{EventTypes: []string{"round_end", "spin"}, MinBetMinor: i64(50),
			MinRoundDurationMS: i64(800), ExcludeASN: []string{"hosting", "proxy"}}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 50, Dur: i64(800)},                    // in (limits inclusive)
		E{ID: "b", User: "u1", TS: 2, Bet: 60, Dur: i64(900), Type: "spin"},      // in
		E{ID: "c", User: "u1", TS: 3, Bet: 70, Dur: i64(900), Type: "bet"},       // wrong type
		E{ID: "d", User: "u1", TS: 4, Bet: 49, Dur: i64(900)},                    // bet too low
		E{ID: "e", User: "u1", TS: 5, Bet: 80, Dur: i64(799)},                    // too short
		E{ID: "f", User: "u1", TS: 6, Bet: 90},                                   // no duration
		E{ID: "g", User: "u1", TS: 7, Bet: 100, Dur: i64(900), ASN: "hosting"},   // excluded
		E{ID: "h", User: "u1", TS: 8, Bet: 1000, Dur: i64(900), ASN: "mno"},      // in
		E{ID: "i", User: "u1", TS: 9, Bet: 10000, Dur: i64(900), Funds: "bonus"}, // bonus × 1
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 50 + 60 + 1000 + 10000, 0, 4, fin(9)}}}, 0, 0)
}

func TestBonus(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Scoring.BonusCoefficient = 0.5 })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5, Funds: "bonus"}, // 2.5 → 3
		E{ID: "b", User: "u1", TS: 2, Bet: 10, Funds: "cash"}, // 10
		E{ID: "c", User: "u2", TS: 3, Bet: 1, Funds: "bonus"}, // 0.5 → 1
		E{ID: "d", User: "u3", TS: 4, Bet: 0, Funds: "bonus"}, // 0, still counted
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 13, 0, 2, fin(2)},
		{2, "u2", 1, 0, 1, fin(3)},
		{3, "u3", 0, 0, 1, noFin},
	}}, 0, 0)

	// Coefficient 0: bonus events do not count at all (u2 is not on the board).
	c.Scoring.BonusCoefficient = 0
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5, Funds: "bonus"},
		E{ID: "b", User: "u1", TS: 2, Bet: 10},
		E{ID: "c", User: "u2", TS: 3, Bet: 1, Funds: "bonus"},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 10, 0, 1, fin(2)}}}, 0, 0)
}

// ---------------------------------------------------------------- points

func TestFormulaAndModels(t *testing.T) {
	cases := []struct {
		formula, model string
		e              E
		want           int64
		finish         int64
	}{
		{"bet / 2", "", E{Bet: 5}, 3, fin(1)},      // 2.5 → 3
		{"-bet / 2", "", E{Bet: 5}, -3, noFin},     // -2.5 → -3
		{"bet / 4", "", E{Bet: 5}, 1, fin(1)},      // 1.25 → 1
		{"bet / 0", "", E{Bet: 5}, 0, noFin},       // +Inf → 0
		{"log(bet - 10)", "", E{Bet: 5}, 0, noFin}, // NaN → 0
		{"log(0)", "", E{Bet: 5}, 0, noFin},        // -Inf → 0
		{"min(multiplier, 50) * 100", "", E{Bet: 1, Win: 70}, 5000, fin(1)},
		{"max(bet, win, 3)", "", E{Bet: 1, Win: 2}, 3, fin(1)},
		{"abs(win - bet)", "", E{Bet: 10, Win: 3}, 7, fin(1)},
		{"floor(bet / 3) + ceil(win / 3)", "", E{Bet: 10, Win: 10}, 3 + 4, fin(1)},
		{"round(bet / 2) * 10", "", E{Bet: 5}, 30, fin(1)},  // round(2.5) = 3
		{"round(-bet / 2) * 10", "", E{Bet: 5}, -30, noFin}, // round(-2.5) = -3
		{"log2(bet) * 10", "", E{Bet: 8}, 30, fin(1)},
		{"log(win)", "", E{Bet: 1, Win: 20}, 3, fin(1)}, // ln 20 = 2.9957
		{"duration_ms / 100", "", E{Bet: 1, Dur: i64(250)}, 3, fin(1)},
		{"duration_ms + 1", "", E{Bet: 1}, 1, fin(1)}, // absent duration = 0
		{"7", "", E{Bet: 1}, 7, fin(1)},
		{"", "multiplier_log", E{Bet: 10, Win: 30}, 200, fin(1)}, // 100·log2(4)
		{"", "multiplier_log", E{Bet: 2, Win: 1}, 58, fin(1)},    // 100·log2(1.5) = 58.496
		{"", "multiplier_log", E{Bet: 0}, 0, noFin},
		{"", "win_amount", E{Bet: 10, Win: 33}, 33, fin(1)},
		{"", "wager", E{Bet: 10, Win: 33}, 10, fin(1)},
	}
	for _, tc := range cases {
		t.Run(tc.formula+tc.model, func(t *testing.T) {
			c := fixed(func(c *contest.Contest) {
				c.Scoring = contest.Scoring{Formula: tc.formula, Model: tc.model, BonusCoefficient: 1}
			})
			e := tc.e
			e.ID, e.User, e.TS = "a", "u1", 1
			got := run([]*contest.Contest{c}, arr(e))
			if len(got.Boards) != 1 || got.Boards[b("")][0].Score != tc.want || got.Boards[b("")][0].Finish != tc.finish {
				t.Errorf("got %s, want score %d finish %d", dump(got.Boards), tc.want, tc.finish)
			}
		})
	}
}

func TestCapPerEvent(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Scoring.CapPerEvent = i64(100) })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 250},
		E{ID: "b", User: "u1", TS: 2, Bet: 40},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 140, 0, 2, fin(2)}}}, 0, 0)
}

// Daily cap in event-time order, whatever the arrival order: bets 100, 200, 300
// at ts 10, 20, 30 with a 350 cap give 100, 200, 50. Taken in arrival order
// 30, 10, 20 they would give 300, 50, 0 instead.
func TestDailyCapOrderIndependent(t *testing.T) {
	evs := []E{
		{ID: "a", User: "u1", TS: 10, Bet: 100},
		{ID: "b", User: "u1", TS: 20, Bet: 200},
		{ID: "c", User: "u1", TS: 30, Bet: 300},
		{ID: "d", User: "u2", TS: 30, Bet: 120},
	}
	for _, typ := range []string{contest.TypeMax, contest.TypeSum} {
		c := fixed(func(c *contest.Contest) {
			c.Scoring.CapPerUserPerDay = i64(350)
			c.Leaderboard.Type = typ
		})
		want := map[string][]Standing{
			contest.TypeMax: {{1, "u1", 200, 0, 3, fin(20)}, {2, "u2", 120, 0, 1, fin(30)}},
			contest.TypeSum: {{1, "u1", 350, 0, 3, fin(30)}, {2, "u2", 120, 0, 1, fin(30)}},
		}[typ]
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < 24; i++ {
			perm := rng.Perm(len(evs))
			shuffled := make([]E, len(evs))
			for j, p := range perm {
				shuffled[j] = evs[p]
			}
			got := run([]*contest.Contest{c}, arr(shuffled...))
			check(t, got, map[BoardID][]Standing{b(""): want}, 0, 0)
		}
	}
}

// The cap is per calendar day in the contest tz: 23:30 and 00:30 Kyiv time are
// different days although both are 2025-10-21 in UTC.
func TestDailyCapTZ(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	c := &contest.Contest{
		ID:       "c1",
		Schedule: &contest.Schedule{Cron: "0 0 * * 1", Duration: 7 * 24 * time.Hour, TZ: kyiv, TZName: "Europe/Kyiv"},
		Location: kyiv,
		Scoring:  contest.Scoring{Model: "wager", BonusCoefficient: 1, CapPerUserPerDay: i64(100)},
		Leaderboard: contest.Leaderboard{
			Type: contest.TypeSum, Order: "desc",
		},
	}
	mon := time.Date(2025, 10, 19, 21, 0, 0, 0, time.UTC) // Monday 2025-10-20 00:00 Kyiv (+03:00)
	e1 := time.Date(2025, 10, 21, 20, 30, 0, 0, time.UTC) // 23:30 Kyiv, Tue
	e2 := time.Date(2025, 10, 21, 21, 30, 0, 0, time.UTC) // 00:30 Kyiv, Wed
	e3 := time.Date(2025, 10, 21, 22, 30, 0, 0, time.UTC) // 01:30 Kyiv, Wed
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", Time: e1, Bet: 100},
		E{ID: "b", User: "u1", Time: e2, Bet: 70},
		E{ID: "c", User: "u1", Time: e3, Bet: 70}, // only 30 left on Wednesday
	))
	check(t, got, map[BoardID][]Standing{
		{Contest: "c1", Window: mon.Unix()}: {{1, "u1", 200, 0, 3, e3.UnixNano()}},
	}, 0, 0)
}

// Negative points give room back under the daily cap (remaining = cap − Σ granted).
func TestDailyCapNegativePoints(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring = contest.Scoring{Formula: "win - bet", BonusCoefficient: 1, CapPerUserPerDay: i64(100)}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 100, Win: 300}, // 200 → 100
		E{ID: "b", User: "u1", TS: 2, Bet: 50},            // -50
		E{ID: "c", User: "u1", TS: 3, Win: 200},           // 200 → 50
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 100, 3, 3, fin(3)}}}, 0, 0)
}

// Points capped to 0 still count: the user is on the board and the round counts.
func TestZeroPointsCounted(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring.CapPerUserPerDay = i64(10)
		c.Leaderboard.Tiebreakers = []string{contest.TieMostRounds}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 10},
		E{ID: "b", User: "u1", TS: 2, Bet: 10}, // 0 after cap
		E{ID: "c", User: "u2", TS: 1, Bet: 10},
		E{ID: "d", User: "u3", TS: 1, Bet: 0},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 10, 0, 2, fin(1)}, // finish: only positive events
		{2, "u2", 10, 0, 1, fin(1)},
		{3, "u3", 0, 0, 1, noFin},
	}}, 0, 0)
}

// ---------------------------------------------------------------- rate limit

func TestRateLimit(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.AntiAbuse.MaxEventsPerUserPerSec = 2 })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10.1, Bet: 1},
		E{ID: "b", User: "u1", TS: 10.2, Bet: 2},
		E{ID: "c", User: "u1", TS: 10.9, Bet: 4}, // third in second 10
		E{ID: "d", User: "u1", TS: 11.0, Bet: 8},
		E{ID: "e", User: "u2", TS: 10.5, Bet: 16}, // other user, own budget
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 16, 0, 1, fin(10.5)},
		{2, "u1", 11, 0, 3, fin(11)},
	}}, 0, 0)
}

// An earlier event arriving later displaces a later one: in event-time order
// c(10.1), a(10.2) take the two slots and b(10.5) is rate limited.
func TestRateLimitDisplacement(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.AntiAbuse.MaxEventsPerUserPerSec = 2 })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10.2, Bet: 1},
		E{ID: "b", User: "u1", TS: 10.5, Bet: 2},
		E{ID: "c", User: "u1", TS: 10.1, Bet: 4, Arrived: at(80)},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 5, 0, 2, fin(10.2)}}}, 0, 0)

	// Same ts: event_id decides (M=1 keeps "a").
	c.AntiAbuse.MaxEventsPerUserPerSec = 1
	got = run([]*contest.Contest{c}, arr(
		E{ID: "b", User: "u1", TS: 10, Bet: 1},
		E{ID: "a", User: "u1", TS: 10, Bet: 2},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 2, 0, 1, fin(10)}}}, 0, 0)
}

// The rate limit and caps are per user per contest window, shared across
// divisions; ineligible/late events do not use up the limit.
func TestRateLimitAcrossDivisions(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.AntiAbuse.MaxEventsPerUserPerSec = 1
		c.Leaderboard.Divisions = "market"
		c.Eligibility.MinBetMinor = i64(1)
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10.5, Market: "DE", Bet: 1},
		E{ID: "b", User: "u1", TS: 10.7, Market: "SE", Bet: 2},                        // limited: no SE board
		E{ID: "c", User: "u1", TS: 11.1, Market: "SE", Bet: 0},                        // ineligible, uses no slot
		E{ID: "d", User: "u1", TS: 11.2, Market: "SE", Bet: 4, Arrived: at(2 * 3600)}, // late, uses no slot
		E{ID: "e", User: "u1", TS: 11.3, Market: "FI", Bet: 8},
	))
	check(t, got, map[BoardID][]Standing{
		b("DE"): {{1, "u1", 1, 0, 1, fin(10.5)}},
		b("FI"): {{1, "u1", 8, 0, 1, fin(11.3)}},
	}, 0, 1)
}

// ---------------------------------------------------------------- duplicates
