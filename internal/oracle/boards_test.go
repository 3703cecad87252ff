package oracle

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

func TestDuplicates(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Eligibility.MinBetMinor = i64(10) })
	c2 := fixed(func(c *contest.Contest) { c.ID = "c2" })
	got := run([]*contest.Contest{c, c2}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 10},
		E{ID: "a", User: "u1", TS: 2, Bet: 500},                  // copy, other content: ignored
		E{ID: "a", User: "u2", TS: 3, Bet: 500},                  // same id, another user: another event
		E{ID: "b", User: "u2", TS: 4, Bet: 5},                    // ineligible in c1, counts in c2
		E{ID: "b", User: "u2", TS: 5, Bet: 50},                   // copy: first arrival decided
		E{ID: "a", User: "u1", TS: 1, Bet: 10, Arrived: at(9e4)}, // copy a day later, late too: neither counted
		E{ID: "a", User: "u1", TS: 6, Bet: 20, Provider: "beta"}, // same id, another provider: another event
	))
	check(t, got, map[BoardID][]Standing{
		b(""): {{1, "u2", 500, 0, 1, fin(3)}, {2, "u1", 30, 0, 2, fin(6)}},
		{Contest: "c2", Window: w0}: {
			{1, "u2", 505, 0, 2, fin(4)},
			{2, "u1", 30, 0, 2, fin(6)},
		},
	}, 0, 0)

	// An invalid arrival does not take the key.
	bad := arr(E{ID: "x", User: "u1", TS: 1, Bet: 7, Subject: "events.acme.u9"})[0]
	good := arr(E{ID: "x", User: "u1", TS: 2, Bet: 9})[0]
	good.Seq = 2
	got = run([]*contest.Contest{c2}, []Arrival{good, bad}) // Seq order: bad first
	check(t, got, map[BoardID][]Standing{{Contest: "c2", Window: w0}: {{1, "u1", 9, 0, 1, fin(2)}}}, 1, 0)

	// A late first arrival decides too: an on-time copy after it does not count.
	got = run([]*contest.Contest{c2}, arr(
		E{ID: "y", User: "u1", TS: 1, Bet: 7, Arrived: at(2 * 3600)},
		E{ID: "y", User: "u1", TS: 1, Bet: 7, Arrived: at(100)},
	))
	check(t, got, nil, 0, 1)
}

func TestDuplicatesAcrossWindows(t *testing.T) {
	// The key is per contest window: the same event_id in two daily windows counts in each.
	c := &contest.Contest{
		ID:       "c1",
		Schedule: &contest.Schedule{Cron: "0 0 * * *", Duration: 24 * time.Hour, TZ: time.UTC},
		Lateness: time.Hour,
		Scoring:  contest.Scoring{Model: "wager", BonusCoefficient: 1},
		Leaderboard: contest.Leaderboard{
			Type: contest.TypeSum, Order: "desc",
		},
	}
	d1 := time.Date(2025, 10, 25, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(24 * time.Hour)
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", Time: d1.Add(time.Hour), Bet: 3},
		E{ID: "a", User: "u1", Time: d2.Add(time.Hour), Bet: 4},
		E{ID: "a", User: "u1", Time: d2.Add(2 * time.Hour), Bet: 5},
	))
	check(t, got, map[BoardID][]Standing{
		{Contest: "c1", Window: d1.Unix()}: {{1, "u1", 3, 0, 1, d1.Add(time.Hour).UnixNano()}},
		{Contest: "c1", Window: d2.Unix()}: {{1, "u1", 4, 0, 1, d2.Add(time.Hour).UnixNano()}},
	}, 0, 0)
}

// ---------------------------------------------------------------- divisions

func TestDivisions(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Leaderboard.Divisions = "market"
		c.Scoring.CapPerUserPerDay = i64(150) // shared across divisions
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Market: "DE", Bet: 100},
		E{ID: "b", User: "u1", TS: 2, Market: "SE", Bet: 100}, // 50 left
		E{ID: "c", User: "u2", TS: 3, Market: "SE", Bet: 60},
		E{ID: "d", User: "u2", TS: 4, Bet: 7}, // no market → division ""
	))
	check(t, got, map[BoardID][]Standing{
		b("DE"): {{1, "u1", 100, 0, 1, fin(1)}},
		b("SE"): {{1, "u2", 60, 0, 1, fin(3)}, {2, "u1", 50, 0, 1, fin(2)}},
		b(""):   {{1, "u2", 7, 0, 1, fin(4)}},
	}, 0, 0)

	for _, tc := range []struct {
		div  string
		e    E
		want string
	}{
		{"brand", E{Brand: "X"}, "X"},
		{"provider", E{Provider: "hack"}, "hack"},
		{"game_type", E{GameType: "live"}, "live"},
		{"game", E{Game: "g7"}, "g7"},
		{"platform", E{Platform: "ios"}, "ios"},
	} {
		c.Leaderboard.Divisions = tc.div
		e := tc.e
		e.ID, e.User, e.TS, e.Bet = "a", "u1", 1, 1
		got := run([]*contest.Contest{c}, arr(e))
		check(t, got, map[BoardID][]Standing{b(tc.want): {{1, "u1", 1, 0, 1, fin(1)}}}, 0, 0)
	}
}

// ---------------------------------------------------------------- scores

func TestBestN(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Leaderboard.Type = contest.TypeBestN
		c.Leaderboard.N = 2
	})
	got := run([]*contest.Contest{c}, arr(
		// u1: three events of 50; the two earliest (ts 10) are kept → finish 10.
		E{ID: "c", User: "u1", TS: 30, Bet: 50},
		E{ID: "b", User: "u1", TS: 10, Bet: 50},
		E{ID: "a", User: "u1", TS: 10, Bet: 50},
		E{ID: "d", User: "u1", TS: 40, Bet: 20},
		// u2: 70 and 30 kept; 0-point events don't move the finish.
		E{ID: "e", User: "u2", TS: 5, Bet: 30},
		E{ID: "f", User: "u2", TS: 50, Bet: 70},
		E{ID: "g", User: "u2", TS: 60, Bet: 10},
		// u3: only one event, fewer than n.
		E{ID: "h", User: "u3", TS: 7, Bet: 60},
		// u4: only zeros.
		E{ID: "i", User: "u4", TS: 8, Bet: 0},
		E{ID: "j", User: "u4", TS: 9, Bet: 0},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 100, 0, 4, fin(10)},
		{2, "u2", 100, 0, 3, fin(50)},
		{3, "u3", 60, 0, 1, fin(7)},
		{4, "u4", 0, 0, 2, noFin},
	}}, 0, 0)

	// best_n with a 0 in the kept set: finish from the positive one only.
	c.Leaderboard.N = 3
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 5, Bet: 100},
		E{ID: "b", User: "u1", TS: 50, Bet: 0},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 100, 0, 2, fin(5)}}}, 0, 0)
}

func TestMaxEarliestFinish(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Leaderboard.Type = contest.TypeMax
		c.Leaderboard.Tiebreakers = []string{contest.TieEarliestFinish}
	})
	got := run([]*contest.Contest{c}, arr(
		// u1: highest 100 first reached at ts 10 → finish 10 even with later events.
		E{ID: "a", User: "u1", TS: 30, Bet: 100},
		E{ID: "b", User: "u1", TS: 10, Bet: 100, Arrived: at(60)},
		E{ID: "c", User: "u1", TS: 40, Bet: 50},
		// u2: 100 at ts 20 → after u1.
		E{ID: "d", User: "u2", TS: 20, Bet: 100},
		// u0: 100 at ts 20, same as u2 → user_id decides.
		E{ID: "e", User: "u0", TS: 20, Bet: 100},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 100, 0, 3, fin(10)},
		{2, "u0", 100, 0, 1, fin(20)},
		{3, "u2", 100, 0, 1, fin(20)},
	}}, 0, 0)
}

func TestSumFinish(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring = contest.Scoring{Formula: "win - bet", BonusCoefficient: 1}
		c.Leaderboard.Tiebreakers = []string{contest.TieEarliestFinish}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10, Win: 20},         // +20
		E{ID: "b", User: "u1", TS: 50, Bet: 5, Win: 5},  // 0: not in finish
		E{ID: "c", User: "u2", TS: 5, Win: 30},          // +30
		E{ID: "d", User: "u2", TS: 30, Bet: 10},         // -10: not in finish
		E{ID: "e", User: "u3", TS: 1, Win: 40},          // +40
		E{ID: "f", User: "u3", TS: 40, Bet: 20},         // -20
		E{ID: "g", User: "u4", TS: 2, Bet: 20, Win: 40}, // +20 (finish 2)
		E{ID: "h", User: "u5", TS: 3, Win: 0},           // 0 → no finish
		E{ID: "i", User: "u6", TS: 3, Bet: 1},           // -1 → no finish
		E{ID: "j", User: "u7", TS: 3, Bet: 1, Win: 1},   // 0 → no finish, ties with u5 → user_id
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u3", 20, 0, 2, fin(1)},
		{2, "u4", 20, 2, 1, fin(2)},
		{3, "u2", 20, 0, 2, fin(5)},
		{4, "u1", 20, 1, 2, fin(10)},
		{5, "u5", 0, 0, 1, noFin},
		{6, "u7", 0, 1, 1, noFin},
		{7, "u6", -1, 0, 1, noFin},
	}}, 0, 0)
}

// ---------------------------------------------------------------- order

func TestOrderAsc(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Leaderboard.Order = "asc" })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5},
		E{ID: "b", User: "u3", TS: 2, Bet: 3},
		E{ID: "c", User: "u2", TS: 3, Bet: 3},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 3, 0, 1, fin(3)},
		{2, "u3", 3, 0, 1, fin(2)},
		{3, "u1", 5, 0, 1, fin(1)},
	}}, 0, 0)

	// max / best_n keep the HIGHEST points even when lower scores rank first.
	c.Leaderboard.Type = contest.TypeMax
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5},
		E{ID: "b", User: "u1", TS: 2, Bet: 1},
		E{ID: "c", User: "u2", TS: 3, Bet: 4},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 4, 0, 1, fin(3)},
		{2, "u1", 5, 0, 2, fin(1)},
	}}, 0, 0)
}

func TestTiebreakers(t *testing.T) {
	// Every event scores 10 and the board is max, so all scores tie at 10.
	evs := arr(
		E{ID: "a", User: "uA", TS: 50, Bet: 1, Win: 3}, // mult 3
		E{ID: "b", User: "uB", TS: 5, Bet: 1, Win: 2},
		E{ID: "c", User: "uC", TS: 1, Bet: 1, Win: 2},
		E{ID: "d", User: "uC", TS: 2, Bet: 1, Win: 1},
		E{ID: "e", User: "uD", TS: 3, Bet: 1, Win: 2},
		E{ID: "f", User: "uE", TS: 3, Bet: 1, Win: 2},
	)
	A := Standing{0, "uA", 10, 3, 1, fin(50)}
	B := Standing{0, "uB", 10, 2, 1, fin(5)}
	C := Standing{0, "uC", 10, 2, 2, fin(1)} // max: earliest event with the highest points
	D := Standing{0, "uD", 10, 2, 1, fin(3)}
	E_ := Standing{0, "uE", 10, 2, 1, fin(3)}
	pos := func(ss ...Standing) []Standing {
		for i := range ss {
			ss[i].Pos = i + 1
		}
		return ss
	}
	for _, tc := range []struct {
		ties []string
		want []Standing
	}{
		{nil, pos(A, B, C, D, E_)},
		{[]string{contest.TieHighestSingleMultiplier, contest.TieFewestRounds, contest.TieEarliestFinish}, pos(A, D, E_, B, C)},
		{[]string{contest.TieHighestSingleMultiplier, contest.TieMostRounds, contest.TieEarliestFinish}, pos(A, C, D, E_, B)},
		{[]string{contest.TieEarliestFinish, contest.TieHighestSingleMultiplier}, pos(C, D, E_, B, A)},
		{[]string{contest.TieMostRounds}, pos(C, A, B, D, E_)},
		{[]string{contest.TieFewestRounds}, pos(A, B, D, E_, C)},
	} {
		c := fixed(func(c *contest.Contest) {
			c.Scoring = contest.Scoring{Formula: "10", BonusCoefficient: 1}
			c.Leaderboard.Type = contest.TypeMax
			c.Leaderboard.Tiebreakers = tc.ties
		})
		t.Run(strings.Join(tc.ties, ","), func(t *testing.T) {
			check(t, run([]*contest.Contest{c}, evs), map[BoardID][]Standing{b(""): tc.want}, 0, 0)
		})
	}
}

// ---------------------------------------------------------------- scale

func TestLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rng := rand.New(rand.NewSource(7))
	var evs []Arrival
	for i := 0; i < 50000; i++ {
		e := E{ID: fmt.Sprintf("e%d", i%45000), User: fmt.Sprintf("u%d", rng.Intn(2000)),
			TS: rng.Float64() * 3600, Bet: rng.Int63n(1000), Win: rng.Int63n(3000),
			Market: []string{"DE", "SE", "FI"}[rng.Intn(3)]}
		evs = append(evs, e.arrival(uint64(i+1)))
	}
	cs := []*contest.Contest{
		fixed(func(c *contest.Contest) {
			c.Scoring = contest.Scoring{Formula: "min(multiplier, 50) * 100", BonusCoefficient: 1,
				CapPerEvent: i64(3000), CapPerUserPerDay: i64(100000)}
			c.Leaderboard = contest.Leaderboard{Type: contest.TypeBestN, N: 20, Order: "desc",
				Tiebreakers: []string{contest.TieHighestSingleMultiplier, contest.TieFewestRounds, contest.TieEarliestFinish},
				Divisions:   "market"}
			c.AntiAbuse.MaxEventsPerUserPerSec = 2
		}),
		{
			ID:       "c2",
			Schedule: &contest.Schedule{Cron: "*/10 * * * *", Duration: 10 * time.Minute, TZ: time.UTC},
			Scoring:  contest.Scoring{Model: "multiplier_log", BonusCoefficient: 1},
			Leaderboard: contest.Leaderboard{Type: contest.TypeMax, Order: "desc",
				Tiebreakers: []string{contest.TieEarliestFinish}},
		},
	}
	start := time.Now()
	res := run(cs, evs)
	t.Logf("50k events, 2 contests: %v, %d boards", time.Since(start), len(res.Boards))
	// Sanity: positions 1..n, distinct users.
	for id, ss := range res.Boards {
		seen := map[string]bool{}
		for i, s := range ss {
			if s.Pos != i+1 || seen[s.User] {
				t.Fatalf("%+v: bad standing %d %+v", id, i, s)
			}
			seen[s.User] = true
		}
	}
	// Same input in reverse slice order (Seq unchanged) gives the same result.
	rev := make([]Arrival, len(evs))
	for i := range evs {
		rev[len(evs)-1-i] = evs[i]
	}
	if !reflect.DeepEqual(run(cs, rev), res) {
		t.Fatal("result depends on slice order")
	}
}
