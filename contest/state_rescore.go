package contest

import "sort"

// rescore rebuilds the boards and the daily-cap use from the folded share
// (fold.go) and the sorted events. A board that stays keeps its LastPoints;
// a board left without a counted candidate is removed.
func (u *UserWindow) rescore() {
	typ := u.c.Leaderboard.Type
	for i := range u.boards {
		b := &u.boards[i]
		b.st = b.base.standing(b.st.LastPoints)
		b.kept = b.kept[:0]
	}
	u.hasDay, u.day, u.dayUse = u.fold.hasDay, u.fold.day, u.fold.dayUse
	m := u.c.AntiAbuse.MaxEventsPerUserPerSec
	secCount, curSec := 0, int64(0)
	for i := range u.events {
		e := &u.events[i]
		if e.pinned { // folded, kept for best_n: counted and final are fixed
			if b := u.board(e.Division); b != nil && typ == TypeBestN {
				b.kept = append(b.kept, i)
			}
			continue
		}
		if m > 0 {
			sec := floorDiv(e.TS, 1e9)
			if i == 0 || sec != curSec {
				curSec, secCount = sec, 0
			}
			if secCount >= m {
				e.counted, e.final = false, 0
				continue
			}
			secCount++
		}
		e.counted = true
		e.final = u.capDaily(e.Day, e.Base)
		u.useDay(e.Day, e.final)
		b := u.board(e.Division)
		if b == nil {
			b = u.addBoard(e.Division)
		}
		tally(typ, &b.st, e)
		if typ == TypeBestN {
			b.kept = append(b.kept, i)
		}
	}
	u.boards = deleteEmptyBoards(u.boards)
	if typ == TypeBestN {
		u.bestNFinish()
	}
}

// deleteEmptyBoards drops the boards without a counted candidate.
func deleteEmptyBoards(bs []boardState) []boardState {
	out := bs[:0]
	for _, b := range bs {
		if b.st.Rounds > 0 {
			out = append(out, b)
		}
	}
	clear(bs[len(out):])
	if len(out) == 0 {
		return nil
	}
	return out
}

// bestNFinish cuts every board's kept set to its n best and totals it.
func (u *UserWindow) bestNFinish() {
	n := u.c.Leaderboard.N
	for i := range u.boards {
		b := &u.boards[i]
		sort.Slice(b.kept, func(x, y int) bool {
			return keptWorse(&u.events[b.kept[y]], &u.events[b.kept[x]])
		})
		if len(b.kept) > n {
			b.kept = b.kept[:n]
		}
		u.bestNTotals(b)
	}
}
