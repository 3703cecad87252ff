package oracle

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// Points of one event clamp to ±10^15 (NaN/±Inf give 0); wager/win_amount
// are exact.
func TestPointsClamp(t *testing.T) {
	cases := []struct {
		formula, model string
		coef           float64
		e              E
		want           int64
	}{
		{"bet * 1e300", "", 1, E{Bet: 5}, 1_000_000_000_000_000},
		{"-1e30", "", 1, E{Bet: 5}, -1_000_000_000_000_000},
		{"1e15 + 0.4", "", 1, E{Bet: 5}, 1_000_000_000_000_000},
		{"1e15 - 1.5", "", 1, E{Bet: 5}, 999_999_999_999_999},
		{"bet / 0", "", 1, E{Bet: 5}, 0},
		{"-bet / 0", "", 1, E{Bet: 5}, 0},
		{"", "wager", 1, E{Bet: 999_999_999_999_999}, 999_999_999_999_999},
		{"", "win_amount", 1, E{Bet: 1, Win: 1_000_000_000_000_000}, 1_000_000_000_000_000},
		{"", "wager", 0.5, E{Bet: 999_999_999_999_999, Funds: "bonus"}, 500_000_000_000_000},
		{"", "wager", 3, E{Bet: 999_999_999_999_999, Funds: "bonus"}, 1_000_000_000_000_000},
		{"", "win_amount", 0.1, E{Bet: 1, Win: 25, Funds: "bonus"}, 3},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.formula, tc.model, tc.coef), func(t *testing.T) {
			c := fixed(func(c *contest.Contest) {
				c.Scoring = contest.Scoring{Formula: tc.formula, Model: tc.model, BonusCoefficient: tc.coef}
			})
			e := tc.e
			e.ID, e.User, e.TS = "a", "u1", 1
			got := run([]*contest.Contest{c}, arr(e))
			if len(got.Boards) != 1 || got.Boards[b("")][0].Score != tc.want {
				t.Errorf("got %s, want score %d", dump(got.Boards), tc.want)
			}
		})
	}
}

// 9300 events of ±10^15 points saturate a sum (and a best_n of them) at
// ±(2^63−1) (it would wrap at 9224), and the desc board still ranks the
// saturated user first and the negative one last. Events go straight to the
// board computation here (no JSON); TestPointsClamp covers the clamp.
func TestScoreSaturation(t *testing.T) {
	for _, typ := range []string{contest.TypeSum, contest.TypeBestN} {
		r := prepare(fixed(func(c *contest.Contest) { c.Leaderboard.Type, c.Leaderboard.N = typ, 10000 }))
		users := map[string][]counted{}
		for i := 0; i < 9300; i++ {
			ts := t0.Add(time.Duration(i) * time.Millisecond)
			users["up"] = append(users["up"], counted{&event.Event{EventID: fmt.Sprintf("p%d", i), UserID: "up", TS: ts}, pointsLimit})
			users["un"] = append(users["un"], counted{&event.Event{EventID: fmt.Sprintf("n%d", i), UserID: "un", TS: ts}, -pointsLimit})
		}
		users["uz"] = []counted{{&event.Event{EventID: "z", UserID: "uz", TS: t0}, 0}}
		got := standings(r, users)
		if len(got) != 3 || got[0].User != "up" || got[0].Score != math.MaxInt64 ||
			got[1].User != "uz" || got[1].Score != 0 || got[2].User != "un" || got[2].Score != -math.MaxInt64 {
			t.Fatalf("%s: board %+v", typ, got)
		}
	}
}

func TestSatArithmetic(t *testing.T) {
	if satAdd(math.MaxInt64, 1) != math.MaxInt64 || satAdd(-math.MaxInt64, -5) != -math.MaxInt64 ||
		satSub(0, math.MinInt64) != math.MaxInt64 || satAdd(3, -5) != -2 {
		t.Fatal("saturating arithmetic")
	}
}
