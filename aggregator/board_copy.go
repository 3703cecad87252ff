package aggregator

import (
	"slices"
	"strings"

	"github.com/rankstream/rankstream/contest"
)

// BoardCopy returns a board's standings in board order, like Board, with the
// SCORES sequence the ranker had applied before the copy (a lower bound:
// re-applying SCORES after it is harmless, standings being absolute). Only a
// walk of the board's standings map happens under the ranker's lock; the
// ordering (the tree's order: key words, then user id bytes) is done outside
// it, so a snapshot of a 1M board holds up the ranker for tens of
// milliseconds, not for a tree walk. Nil when the board is unknown.
func (r *Ranker) BoardCopy(id contest.BoardID) ([]Row, uint64) {
	seq := r.processed.Load()
	r.mu.Lock()
	b := r.boards[id]
	if b == nil {
		r.mu.Unlock()
		return nil, seq
	}
	lb := b.lb
	rows := make([]Row, 0, len(b.st))
	for u, st := range b.st {
		rows = append(rows, Row{User: u, Standing: st})
	}
	r.mu.Unlock()
	orderRows(&lb, rows)
	return rows, seq
}

// orderRows sorts rows in board order and numbers their positions.
func orderRows(lb *contest.Leaderboard, rows []Row) {
	w := lb.KeyWords()
	keys := make([]int64, len(rows)*w)
	var k []int64
	for i := range rows {
		k = lb.SortKey(rows[i].Standing, k)
		copy(keys[i*w:], k)
	}
	idx := make([]int32, len(rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		ka, kb := keys[int(a)*w:int(a)*w+w], keys[int(b)*w:int(b)*w+w]
		for j := range ka {
			if ka[j] != kb[j] {
				if ka[j] < kb[j] {
					return -1
				}
				return 1
			}
		}
		return strings.Compare(rows[a].User, rows[b].User) // byte order, as the tree
	})
	out := make([]Row, len(rows))
	for pos, i := range idx {
		out[pos] = rows[i]
		out[pos].Pos = pos + 1
	}
	copy(rows, out)
}

// CopiedBoard is a board's rows copied out of the ranker, not yet ordered.
type CopiedBoard struct {
	rows []Row
	lb   contest.Leaderboard
}

// Sorted orders the rows in board order, numbers their positions and
// returns them (done outside the ranker's lock).
func (c CopiedBoard) Sorted() []Row {
	if c.rows == nil {
		return nil
	}
	orderRows(&c.lb, c.rows)
	return c.rows
}

// BoardCopies copies several boards under one hold of the ranker's lock, so
// they all reflect the same SCORES prefix (with the scorer held at a
// Barrier: the same EVENTS prefix). Unknown boards are absent.
func (r *Ranker) BoardCopies(ids []contest.BoardID) map[contest.BoardID]CopiedBoard {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.copyBoards(ids)
}

// copyBoards is BoardCopies under r.mu.
func (r *Ranker) copyBoards(ids []contest.BoardID) map[contest.BoardID]CopiedBoard {
	out := make(map[contest.BoardID]CopiedBoard, len(ids))
	for _, id := range ids {
		b := r.boards[id]
		if b == nil {
			continue
		}
		rows := make([]Row, 0, len(b.st))
		for u, st := range b.st {
			rows = append(rows, Row{User: u, Standing: st})
		}
		out[id] = CopiedBoard{rows: rows, lb: b.lb}
	}
	return out
}
