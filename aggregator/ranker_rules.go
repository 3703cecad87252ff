package aggregator

import (
	"reflect"

	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
)

// A new contest version may change a board's order or tie-breakers (its sort
// key). The ranker then re-keys the board from the standings it holds, and
// the next tick writes the board to the sinks in full (its keys may have
// another length). The scorers re-publish the standings of the new version
// right after (rescore.go); those arrive as ordinary changes.

// rekey makes b follow contest c's leaderboard rules. Under r.mu.
func (r *Ranker) rekey(b *rboard, c *contest.Contest) {
	b.src = c
	if reflect.DeepEqual(b.lb, c.Leaderboard) {
		return
	}
	b.lb = c.Leaderboard
	b.tree = board.New(c.Leaderboard.KeyWords())
	for user, st := range b.st {
		b.key = b.lb.SortKey(st, b.key)
		b.tree.Upsert(user, b.key)
	}
	clear(b.dirty)
	b.replace = true
	r.log.Info("board re-keyed for a new contest version", "board", b.id.String(), "version", c.Version)
}
