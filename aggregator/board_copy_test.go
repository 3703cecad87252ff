package aggregator

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
)

func randomBoard(n int, seed int64, lb *contest.Leaderboard) (map[string]contest.Standing, *board.Tree) {
	r := rand.New(rand.NewSource(seed))
	st := make(map[string]contest.Standing, n)
	tree := board.New(lb.KeyWords())
	var key []int64
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("u_%d", r.Intn(n*2))
		s := contest.Standing{Score: int64(r.Intn(50)), MaxMult: float64(r.Intn(4)) / 2, Rounds: int64(r.Intn(3)),
			Finish: int64(r.Intn(3)) - 1}
		st[u] = s
		key = lb.SortKey(s, key)
		tree.Upsert(u, key)
	}
	return st, tree
}

// TestOrderRowsIsTreeOrder: ordering a map walk gives the tree's positions,
// ties on every key word included.
func TestOrderRowsIsTreeOrder(t *testing.T) {
	for i, lb := range []contest.Leaderboard{
		{Type: contest.TypeSum, Order: "desc", Tiebreakers: []string{contest.TieHighestSingleMultiplier, contest.TieFewestRounds, contest.TieEarliestFinish}},
		{Type: contest.TypeMax, Order: "asc", Tiebreakers: []string{contest.TieEarliestFinish}},
		{Type: contest.TypeBestN, N: 3, Order: "desc"},
	} {
		st, tree := randomBoard(5000, int64(i), &lb)
		rows := make([]Row, 0, len(st))
		for u, s := range st {
			rows = append(rows, Row{User: u, Standing: s})
		}
		orderRows(&lb, rows)
		tree.Each(func(pos int, user string, _ []int64) bool {
			if r := rows[pos-1]; r.Pos != pos || r.User != user || r.Standing != st[user] {
				t.Fatalf("board %d pos %d: %+v, tree has %s", i, pos, r, user)
			}
			return true
		})
	}
}

// BenchmarkBoardCopy1M: the part of BoardCopy under the lock (map walk) and
// the ordering outside it, against Board's tree walk under the lock.
func BenchmarkBoardCopy1M(b *testing.B) {
	lb := contest.Leaderboard{Type: contest.TypeSum, Order: "desc", Tiebreakers: []string{contest.TieEarliestFinish}}
	st, tree := randomBoard(1_000_000, 1, &lb)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rows := make([]Row, 0, len(st))
		for u, s := range st {
			rows = append(rows, Row{User: u, Standing: s})
		}
		locked := time.Since(t0)
		t1 := time.Now()
		orderRows(&lb, rows)
		order := time.Since(t1)
		t2 := time.Now()
		tw := make([]Row, 0, tree.Len())
		tree.Each(func(pos int, user string, _ []int64) bool {
			tw = append(tw, Row{Pos: pos, User: user, Standing: st[user]})
			return true
		})
		b.ReportMetric(float64(locked.Milliseconds()), "locked_ms")
		b.ReportMetric(float64(order.Milliseconds()), "order_ms")
		b.ReportMetric(float64(time.Since(t2).Milliseconds()), "treewalk_locked_ms")
	}
}
