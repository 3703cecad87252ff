package aggregator

import (
	"strconv"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// A board delta with more changed and more watched users than one message
// holds leaves in messages of at most feedChunk changed users and feedChunk
// ranks, and every change and every rank is in exactly one of them.
func TestFeedMessagesBoundEveryMessage(t *testing.T) {
	for _, tc := range []struct{ changed, watched int }{{0, 0}, {0, 1}, {3, 2}, {2500, 0}, {2500, 3100}, {0, 2 * feedChunk}} {
		d := BoardDelta{ID: contest.BoardID{Contest: "c"}, Total: tc.changed + tc.watched, Ranks: map[string]Rank{}}
		for i := 0; i < tc.changed; i++ {
			u := "c" + strconv.Itoa(i)
			d.Changed = append(d.Changed, UserDelta{User: u})
			d.Ranks[u] = Rank{Pos: i + 1, User: u}
		}
		for i := 0; i < tc.watched; i++ {
			u := "w" + strconv.Itoa(i)
			d.Ranks[u] = Rank{Pos: tc.changed + i + 1, User: u}
		}
		msgs := feedMessages(&d)
		seenChange, seenRank := map[string]int{}, map[string]int{}
		for i, m := range msgs {
			if len(m.Changed) > feedChunk || len(m.Ranks) > feedChunk {
				t.Fatalf("%+v: message %d carries %d changes and %d ranks (most %d)", tc, i, len(m.Changed), len(m.Ranks), feedChunk)
			}
			if m.ID != d.ID || m.Total != d.Total {
				t.Fatalf("%+v: message %d lost the board or its total: %+v", tc, i, m.ID)
			}
			for _, u := range m.Changed {
				seenChange[u.User]++
			}
			for u, rk := range m.Ranks {
				if rk != d.Ranks[u] {
					t.Fatalf("%+v: rank of %s is %+v, want %+v", tc, u, rk, d.Ranks[u])
				}
				seenRank[u]++
			}
		}
		if len(seenChange) != tc.changed || len(seenRank) != len(d.Ranks) {
			t.Fatalf("%+v: %d changes and %d ranks delivered, want %d and %d", tc, len(seenChange), len(seenRank), tc.changed, len(d.Ranks))
		}
		for u, n := range seenRank {
			if n != 1 {
				t.Fatalf("%+v: rank of %s in %d messages", tc, u, n)
			}
		}
		if want := max(1, (tc.changed+feedChunk-1)/feedChunk, (tc.changed+tc.watched+feedChunk-1)/feedChunk); len(msgs) != want {
			t.Errorf("%+v: %d messages, want %d", tc, len(msgs), want)
		}
	}
}
