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

// fillRanks computes the top K and the ranks of changed and watched users.
// Every watched user's rank is in every delta of its board, moved or not
// (the notifier compares it with what the subject last carried); a user who
// becomes watched on a quiet board is reported by newlyWatched
// (ranker_watch.go). Caller holds mu.
func (r *Ranker) fillRanks(b *rboard, bd *BoardDelta) {
	r.fillTop(b, bd)
	bd.Ranks = make(map[string]Rank, len(bd.Changed))
	for _, u := range bd.Changed {
		if rk, ok := b.rankOf(u.User); ok {
			bd.Ranks[u.User] = rk
		}
	}
	if r.opts.Watched != nil {
		b.watched = r.opts.Watched(b.id) // newlyWatched compares with it
		for _, u := range b.watched {
			if _, done := bd.Ranks[u]; done {
				continue
			}
			if rk, ok := b.rankOf(u); ok {
				bd.Ranks[u] = rk
			}
		}
	}
}

// fillTop sets bd's total and top K. Caller holds mu.
func (r *Ranker) fillTop(b *rboard, bd *BoardDelta) {
	bd.Total = b.tree.Len()
	b.tree.Range(1, r.opts.TopK, func(pos int, user string, key []int64) bool {
		bd.Top = append(bd.Top, Rank{Pos: pos, User: user, Score: b.lb.ScoreFromKey(key[0]), LastPoints: b.st[user].LastPoints})
		return true
	})
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
