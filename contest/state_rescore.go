package contest

// rescore rebuilds the boards and the daily-cap use from the folded share
// (fold.go) and the sorted events. A board that stays keeps its LastPoints;
// a board left without a counted candidate is removed.
func (u *UserWindow) rescore() {
	for i := range u.boards {
		b := &u.boards[i]
		b.st = b.base.standing(b.st.LastPoints)
		b.kept = b.kept[:0]
	}
	u.hasDay, u.day, u.dayUse = u.fold.hasDay, u.fold.day, u.fold.dayUse
	u.dropMarks()
	u.rescoreRange(0)
}

// rescoreFrom rebuilds what the candidates from events[at] on decide, from
// the last mark at or before at (state_marks.go), or from the start.
func (u *UserWindow) rescoreFrom(at int) {
	j := u.markBefore(at)
	if j < 0 {
		u.rescore()
		return
	}
	from := u.mk.at[j].idx
	u.restoreMark(j)
	u.rescoreRange(from)
}

// rescoreRange scores events[from:] in event-time order on top of the
// running state, which is the state before events[from], taking marks on
// the way.
func (u *UserWindow) rescoreRange(from int) {
	typ := u.c.Leaderboard.Type
	m := u.c.AntiAbuse.MaxEventsPerUserPerSec
	for i := from; i < len(u.events); i++ {
		if u.markDue(i) {
			u.pushMark(i)
		}
		e := &u.events[i]
		if e.pinned { // folded, kept for best_n: counted and final are fixed
			if b := u.board(e.Division); b != nil && typ == TypeBestN {
				b.kept = append(b.kept, i)
			}
			continue
		}
		if u.rateLimited(i, m) {
			e.counted, e.final = false, 0
			continue
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
	if n := len(u.boards); n > 0 {
		if u.boards = deleteEmptyBoards(u.boards); len(u.boards) != n {
			u.dropMarks()
		}
	}
	if typ == TypeBestN {
		u.bestNFinish()
	}
}

// rateLimited reports whether events[i] is past the first m of its second
// (m > 0): the rate limit keeps the first m candidates of each second in
// event-time order. No pinned candidate shares a second with an unpinned one
// (fold.go), so the position alone decides.
func (u *UserWindow) rateLimited(i, m int) bool {
	return m > 0 && i >= m && floorDiv(u.events[i-m].TS, 1e9) == floorDiv(u.events[i].TS, 1e9)
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
	for i := range u.boards {
		b := &u.boards[i]
		u.cutKept(b)
		u.bestNTotals(b)
	}
}
