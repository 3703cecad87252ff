package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
)

// timeSince is the seconds since t.
func timeSince(t time.Time) float64 { return time.Since(t).Seconds() }

// rankOf returns user's position on b; ok false when absent. Caller holds mu.
func (b *rboard) rankOf(user string) (Rank, bool) {
	pos, ok := b.tree.Rank(user)
	if !ok {
		return Rank{}, false
	}
	st := b.st[user]
	rk := Rank{Pos: pos, User: user, Score: st.Score, LastPoints: st.LastPoints}
	if pos > 1 {
		if _, key, ok := b.tree.At(pos - 1); ok {
			gap := contest.Gap(b.lb.ScoreFromKey(key[0]), st.Score)
			rk.GapToNext = &gap
		}
	}
	return rk, true
}

// fillRanks computes the top K, the ranks of changed users and those of
// watched users whose position or score differs from what the last tick
// reported (the others' subjects already carry it: reporting every watched
// user every tick cost a rank lookup, and in the feed an encoding and a
// decoding, per watched user and tick). Caller holds mu.
func (r *Ranker) fillRanks(b *rboard, bd *BoardDelta) {
	bd.Total = b.tree.Len()
	b.tree.Range(1, r.opts.TopK, func(pos int, user string, key []int64) bool {
		bd.Top = append(bd.Top, Rank{Pos: pos, User: user, Score: b.lb.ScoreFromKey(key[0]), LastPoints: b.st[user].LastPoints})
		return true
	})
	bd.Ranks = make(map[string]Rank, len(bd.Changed))
	for _, u := range bd.Changed {
		if rk, ok := b.rankOf(u.User); ok {
			bd.Ranks[u.User] = rk
		}
	}
	if r.opts.Watched != nil {
		r.fillWatched(b, bd, r.opts.Watched(b.id))
	}
}

// toldRank is what a user's reported rank said.
type toldRank struct {
	pos   int
	score int64
}

// fillWatched adds the ranks of the watched users that changed since they
// were last reported. bd.Full reports them all (a sink that failed gets the
// board in full: forgetTold). Caller holds mu.
func (r *Ranker) fillWatched(b *rboard, bd *BoardDelta, watched []string) {
	if b.told == nil || bd.Full || len(b.told) > 2*len(watched)+64 {
		b.told = make(map[string]toldRank, len(watched))
	}
	for _, u := range watched {
		rk, done := bd.Ranks[u]
		if !done {
			var ok bool
			if rk, ok = b.rankOf(u); !ok {
				continue
			}
		}
		t := toldRank{pos: rk.Pos, score: rk.Score}
		if last, ok := b.told[u]; ok && last == t && !done {
			continue
		}
		b.told[u] = t
		bd.Ranks[u] = rk
	}
}

// forgetTold makes the next tick of each board report every watched
// user's rank (after a sink failed to take a batch). Caller holds mu.
func (r *Ranker) forgetTold(ids []contest.BoardID) {
	for _, id := range ids {
		if b := r.boards[id]; b != nil {
			b.told = nil
		}
	}
}

// Row is one position of a board, for tests and replay.
type Row struct {
	Pos      int
	User     string
	Standing contest.Standing
}

// Board returns the standings of a board in order (nil when unknown).
func (r *Ranker) Board(id contest.BoardID) []Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.boards[id]
	if b == nil {
		return nil
	}
	rows := make([]Row, 0, b.tree.Len())
	b.tree.Each(func(pos int, user string, _ []int64) bool {
		rows = append(rows, Row{Pos: pos, User: user, Standing: b.st[user]})
		return true
	})
	return rows
}

// BoardIDs lists the boards held.
func (r *Ranker) BoardIDs() []contest.BoardID {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]contest.BoardID, 0, len(r.boards))
	for id := range r.boards {
		ids = append(ids, id)
	}
	return ids
}

// OwnedBoardIDs lists the boards held whose group this process owns now.
func (r *Ranker) OwnedBoardIDs() []contest.BoardID {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]contest.BoardID, 0, len(r.boards))
	for id, b := range r.boards {
		if r.ownsGroup(b.group) {
			ids = append(ids, id)
		}
	}
	return ids
}
