package contest

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestSatAddSub(t *testing.T) {
	cases := []struct{ a, b, add, sub int64 }{
		{1, 2, 3, -1},
		{math.MaxInt64, 1, MaxScore, math.MaxInt64 - 1},
		{math.MaxInt64, math.MaxInt64, MaxScore, 0},
		{-MaxScore, -1, -MaxScore, -MaxScore + 1},
		{-MaxScore, MaxScore, 0, -MaxScore},
		{math.MinInt64, 0, -MaxScore, -MaxScore},
		{0, math.MinInt64, -MaxScore, MaxScore},
		{-5, math.MinInt64, -MaxScore, math.MaxInt64 - 4},
		{MaxEventPoints, -MaxEventPoints, 0, 2 * MaxEventPoints},
	}
	for _, c := range cases {
		if got := SatAdd(c.a, c.b); got != c.add {
			t.Errorf("SatAdd(%d, %d) = %d, want %d", c.a, c.b, got, c.add)
		}
		if got := SatSub(c.a, c.b); got != c.sub {
			t.Errorf("SatSub(%d, %d) = %d, want %d", c.a, c.b, got, c.sub)
		}
	}
	if g := Gap(MaxScore, -MaxScore); g != MaxScore {
		t.Errorf("Gap(max, -max) = %d", g)
	}
	if g := Gap(-3, 4); g != 7 {
		t.Errorf("Gap(-3, 4) = %d", g)
	}
}

func TestMulRoundExact(t *testing.T) {
	cases := []struct {
		n    int64
		coef float64
		want int64
	}{
		{999_999_999_999_999, 0.5, 500_000_000_000_000}, // .5 rounds away
		{-999_999_999_999_999, 0.5, -500_000_000_000_000},
		{999_999_999_999_999, 1, 999_999_999_999_999},
		{999_999_999_999_999, 0.3, 300_000_000_000_000}, // float64 0.3 is just below 3/10: 299999999999999.69…
		{7, 0, 0},
		{MaxEventPoints, 2, MaxEventPoints},
		{MaxEventPoints, -2, -MaxEventPoints},
		{5, math.Inf(1), 0},
		{5, math.NaN(), 0},
	}
	for _, c := range cases {
		if got := mulRound(c.n, c.coef); got != c.want {
			t.Errorf("mulRound(%d, %v) = %d, want %d", c.n, c.coef, got, c.want)
		}
	}
}

// A score never wraps: large points saturate the sum (and best_n) at
// 2^63−1 (Base is set directly here; Points clamps one event to 10^15, so a
// real board needs more than 9223 such events), and a desc board still sorts
// it first and the most negative score last.
func TestScoreSaturates(t *testing.T) {
	for _, typ := range []string{TypeSum, TypeBestN} {
		c := &Contest{ID: "c", Scoring: Scoring{BonusCoefficient: 1},
			Leaderboard: Leaderboard{Type: typ, N: 10, Order: "desc"}}
		u := NewUserWindow(c)
		neg := NewUserWindow(c)
		for i := 0; i < 5; i++ {
			id := fmt.Sprintf("e%05d", i)
			u.Add(Candidate{TS: int64(i) * 1e9, EventID: id, Base: math.MaxInt64 / 3})
			neg.Add(Candidate{TS: int64(i) * 1e9, EventID: id, Base: -math.MaxInt64 / 3})
		}
		st, sn := finalStandings(u)[""], finalStandings(neg)[""]
		if st.Score != MaxScore || sn.Score != -MaxScore {
			t.Fatalf("%s: scores %d and %d, want ±(2^63−1)", typ, st.Score, sn.Score)
		}
		// Out of order: the same saturated sum.
		u.Add(Candidate{TS: -1, EventID: "early", Base: 1})
		if got := finalStandings(u)[""].Score; got != MaxScore {
			t.Fatalf("%s: after an early event %d", typ, got)
		}
		lb := &c.Leaderboard
		keys := [][]int64{lb.SortKey(sn, nil), lb.SortKey(Standing{Score: 0}, nil), lb.SortKey(st, nil)}
		if !slices.IsSortedFunc([][]int64{keys[2], keys[1], keys[0]}, slices.Compare) {
			t.Fatalf("%s: desc keys out of order: %v", typ, keys)
		}
		if lb.ScoreFromKey(keys[0][0]) != -MaxScore || lb.ScoreFromKey(keys[2][0]) != MaxScore {
			t.Fatalf("%s: ScoreFromKey does not round-trip", typ)
		}
	}
}

// A formula of -1e30 gives -10^15 points: on a desc board it sorts after 0.
func TestHugeNegativeFormulaSortsLast(t *testing.T) {
	c := scoringContest(t, `{formula: "-1e30"}`)
	p := c.Points(baseEvent())
	lb := &Leaderboard{Order: "desc"}
	if p != -MaxEventPoints || slices.Compare(lb.SortKey(Standing{Score: p}, nil), lb.SortKey(Standing{Score: 0}, nil)) <= 0 {
		t.Fatalf("points %d sort before 0 on a desc board", p)
	}
}
