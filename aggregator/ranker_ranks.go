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
		if w, ok := b.tree.FirstWordAt(pos - 1); ok {
			gap := contest.Gap(b.lb.ScoreFromKey(w), st.Score)
			rk.GapToNext = &gap
		}
	}
	return rk, true
}

// fillRanks computes the top K, the ranks of changed users and those of
// watched users whose position, score or gap to the next differs from what
// the board last reported for them (the others' subjects already carry it;
// reporting every watched user on every tick cost, at 10k subscribers, 10k
// ranks encoded into the RANKS feed and decoded and compared by every
// notifier per tick). A full delta reports every watched user again (a sink
// that failed to take a batch gets the board in full). The notifier keeps a
// deferred "overtaken" update itself and sends it on its own timer, so it
// needs no later report (notifier/coalesce.go); a user who becomes watched
// on a quiet board is reported by newlyWatched (ranker_watch.go). Caller
// holds mu.
func (r *Ranker) fillRanks(b *rboard, bd *BoardDelta) {
	r.fillTop(b, bd)
	bd.Ranks = make(map[string]Rank, len(bd.Changed))
	for _, u := range bd.Changed {
		if rk, ok := b.rankOf(u.User); ok {
			bd.Ranks[u.User] = rk
		}
	}
	if r.opts.Watched == nil {
		return
	}
	b.setWatched(r.opts.Watched(b.id)) // newlyWatched compares with it
	if bd.Full {
		clear(b.told)
	}
	r.reportWatched(b, bd)
}

// reportWatched adds to bd.Ranks the watched users of b whose rank differs
// from what was last reported for them (those already in bd.Ranks, whose
// own standing changed, are reported whatever was told). With WatchedEvery,
// a user reported less than WatchedEvery ago is not looked at: b.recheck
// says when the first of them is due. Caller holds mu.
func (r *Ranker) reportWatched(b *rboard, bd *BoardDelta) {
	now, every := r.tickAt, r.opts.WatchedEvery
	b.recheck = time.Time{}
	for j, u := range b.watched {
		rk, changed := bd.Ranks[u]
		if !changed {
			if every > 0 && b.told[j].rank.pos != 0 {
				if due := b.told[j].at.Add(every); now.Before(due) {
					if b.recheck.IsZero() || due.Before(b.recheck) {
						b.recheck = due
					}
					continue
				}
			}
			var on bool
			if rk, on = b.rankOf(u); !on {
				b.told[j] = toldEntry{}
				continue
			}
		}
		t := toldOf(rk)
		if b.told[j].rank == t && !changed {
			continue
		}
		b.told[j] = toldEntry{rank: t, at: now}
		bd.Ranks[u] = rk
	}
}

// toldRank is what a watched user's last reported rank said, as far as the
// notifier's message goes (points change only with the user's own standing,
// which is reported anyway); the zero value: nothing told.
type toldRank struct {
	pos    int // ≥ 1 when told
	score  int64
	gap    int64
	hasGap bool
}

// toldEntry is a watched user's last report and its tick's time.
type toldEntry struct {
	rank toldRank
	at   time.Time
}

func toldOf(rk Rank) toldRank {
	t := toldRank{pos: rk.Pos, score: rk.Score}
	if rk.GapToNext != nil {
		t.gap, t.hasGap = *rk.GapToNext, true
	}
	return t
}

// setWatched makes w the board's watched list, with b.told parallel to it
// (no map lookup per watched user and tick while the list is unchanged);
// when it differs from the last one, what was told is carried over by user
// and forgotten for users no longer watched (one who comes back is reported
// again). Caller holds mu.
func (b *rboard) setWatched(w []string) {
	if len(b.told) == len(w) && sameList(w, b.watched) {
		b.watched = w
		return
	}
	told := make([]toldEntry, len(w))
	if len(b.told) == len(b.watched) && len(b.told) > 0 {
		at := make(map[string]int, len(b.watched))
		for i, u := range b.watched {
			at[u] = i
		}
		for j, u := range w {
			if i, ok := at[u]; ok {
				told[j] = b.told[i]
			}
		}
	}
	b.watched, b.told = w, told
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
