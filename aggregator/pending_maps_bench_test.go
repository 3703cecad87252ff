package aggregator

import (
	"fmt"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// scoreKey is a board and user, the key of the pending map flushNow used
// before pendingScores (pending_scores.go).
type scoreKey struct {
	board contest.BoardID
	user  string
}

// BenchmarkPendingAfterCatchUp: the cost of ranging over the pending
// standings of a live flush with one standing pending, after a catch-up left
// n in the map and flushed them ("kept": the emptied map as it was before
// regrown; "regrown": the map flushNow keeps now). pending_maps.go.
// go test ./aggregator -run '^$' -bench PendingAfterCatchUp
func BenchmarkPendingAfterCatchUp(b *testing.B) {
	for _, n := range []int{128_000, 1_000_000} {
		m := make(map[scoreKey]ScoreMsg)
		for i := 0; i < n; i++ {
			m[scoreKey{contest.BoardID{Contest: "c", Window: int64(i % 16)}, fmt.Sprintf("u_%d", i)}] = ScoreMsg{}
		}
		held := len(m)
		clear(m)
		for name, pending := range map[string]map[scoreKey]ScoreMsg{"kept": m, "regrown": regrown(m, held)} {
			pending[scoreKey{user: "u"}] = ScoreMsg{}
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				for b.Loop() {
					for range pending {
					}
				}
			})
		}
	}
}
