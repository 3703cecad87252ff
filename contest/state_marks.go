package contest

import (
	"slices"
	"sort"
)

// Marks let an out-of-order arrival recompute a user's window from its
// insertion point instead of from the first candidate. A mark is the running
// state just before one candidate: every board's standing, its best_n kept
// set (the n best before it), and the daily-cap use. The state before a
// candidate depends only on the candidates before it, so a mark at or before
// the insertion point stays exact, and the candidates from it on are
// rescored exactly as a full rescore would (state_rescore.go). The rate
// limit needs no mark: a candidate counts iff fewer than m candidates of its
// second precede it, which its position alone says.
//
// Marks are kept only for windows that had an out-of-order arrival and hold
// at least minMarked candidates (a rescore of fewer is cheap), one every
// markSpacing candidates (2n for best_n: a mark copies the kept sets). They
// are derived state: never written to a checkpoint, dropped whenever the
// boards change (a board added or removed) and rebuilt by the next rescore.
type marks struct {
	nb    int      // boards per mark: len(u.boards) when they were taken
	at    []markAt // ascending idx
	st    []Standing
	kept  []int // best_n: at[j]'s board b holds kept[(j*nb+b)*n:][:keptN[j*nb+b]]
	keptN []int
}

type markAt struct {
	idx    int // the state before events[idx]
	day    int64
	dayUse int64
	hasDay bool
}

// Variables only so that the tests can mark every window densely.
var (
	minMarked   = 64
	markSpacing = 32
)

// spacing is the number of candidates between two marks.
func (u *UserWindow) spacing() int {
	if u.c.Leaderboard.Type == TypeBestN {
		return max(markSpacing, 2*u.c.Leaderboard.N)
	}
	return markSpacing
}

// dropMarks forgets every mark (the boards changed).
func (u *UserWindow) dropMarks() {
	if u.mk != nil {
		u.truncateMarks(0)
	}
}

// dropMarksBefore forgets the marks before events[k]: after a Fold up to k
// they would count the folded candidates twice (their share is in the
// base). The marks from k on stay exact.
func (u *UserWindow) dropMarksBefore(k int) {
	mk := u.mk
	if mk == nil {
		return
	}
	j, _ := slices.BinarySearchFunc(mk.at, k, func(m markAt, k int) int { return m.idx - k })
	if j == 0 {
		return
	}
	nb, n := mk.nb, 0
	if u.c.Leaderboard.Type == TypeBestN {
		n = u.c.Leaderboard.N
		mk.keptN = slices.Delete(mk.keptN, 0, j*nb)
		mk.kept = slices.Delete(mk.kept, 0, j*nb*n)
	}
	mk.at = slices.Delete(mk.at, 0, j)
	mk.st = slices.Delete(mk.st, 0, j*nb)
}

// renumberMarks renumbers the marks' indices into events (release).
func (u *UserWindow) renumberMarks(newIdx func(int) int) {
	mk := u.mk
	if mk == nil {
		return
	}
	for j := range mk.at {
		mk.at[j].idx = newIdx(mk.at[j].idx)
	}
	n := u.c.Leaderboard.N
	for k, cnt := range mk.keptN {
		for x := k * n; x < k*n+cnt; x++ {
			mk.kept[x] = newIdx(mk.kept[x])
		}
	}
}

// truncateMarks keeps the first j marks.
func (u *UserWindow) truncateMarks(j int) {
	mk := u.mk
	mk.at = mk.at[:j]
	mk.st = mk.st[:j*mk.nb]
	if u.c.Leaderboard.Type == TypeBestN {
		mk.keptN = mk.keptN[:j*mk.nb]
		mk.kept = mk.kept[:j*mk.nb*u.c.Leaderboard.N]
	}
}

// markDue reports whether a mark is to be taken before events[idx].
func (u *UserWindow) markDue(idx int) bool {
	mk := u.mk
	if mk == nil {
		return false
	}
	if n := len(mk.at); n > 0 {
		return mk.nb == len(u.boards) && idx-mk.at[n-1].idx >= u.spacing()
	}
	return true
}

// pushMark records the running state as the state before events[idx]. For
// best_n each board's kept set is cut to its n best first (exact: the n
// best before idx); its n slots in kept are filled up to keptN.
func (u *UserWindow) pushMark(idx int) {
	mk := u.mk
	if len(mk.at) == 0 {
		u.truncateMarks(0)
		mk.nb = len(u.boards)
	}
	mk.at = append(mk.at, markAt{idx: idx, day: u.day, dayUse: u.dayUse, hasDay: u.hasDay})
	for i := range u.boards {
		mk.st = append(mk.st, u.boards[i].st)
	}
	if u.c.Leaderboard.Type != TypeBestN {
		return
	}
	n := u.c.Leaderboard.N
	for i := range u.boards {
		b := &u.boards[i]
		u.cutKept(b)
		mk.keptN = append(mk.keptN, len(b.kept))
		mk.kept = append(mk.kept, b.kept...)
		for k := len(b.kept); k < n; k++ {
			mk.kept = append(mk.kept, -1)
		}
	}
}

// markBefore returns the last mark at or before idx, or -1.
func (u *UserWindow) markBefore(idx int) int {
	if u.mk == nil || len(u.mk.at) == 0 || u.mk.nb != len(u.boards) {
		return -1
	}
	at := u.mk.at
	return sort.Search(len(at), func(j int) bool { return at[j].idx > idx }) - 1
}

// restoreMark sets the running state to mark j (keeping each board's
// LastPoints) and drops the marks after it.
func (u *UserWindow) restoreMark(j int) {
	mk := u.mk
	m := mk.at[j]
	u.hasDay, u.day, u.dayUse = m.hasDay, m.day, m.dayUse
	n := u.c.Leaderboard.N
	for i := range u.boards {
		b := &u.boards[i]
		lp := b.st.LastPoints
		b.st = mk.st[j*mk.nb+i]
		b.st.LastPoints = lp
		b.kept = b.kept[:0]
		if u.c.Leaderboard.Type == TypeBestN {
			k := j*mk.nb + i
			b.kept = append(b.kept, mk.kept[k*n:k*n+mk.keptN[k]]...)
		}
	}
	u.truncateMarks(j + 1)
}

// cutKept cuts a best_n board's kept set to its n best.
func (u *UserWindow) cutKept(b *boardState) {
	if len(b.kept) <= u.c.Leaderboard.N {
		return
	}
	u.sortKept(b)
	b.kept = b.kept[:u.c.Leaderboard.N]
}

// sortKept sorts a board's kept set best first.
func (u *UserWindow) sortKept(b *boardState) {
	ev := u.events
	slices.SortFunc(b.kept, func(x, y int) int {
		switch {
		case keptWorse(&ev[y], &ev[x]):
			return -1
		case keptWorse(&ev[x], &ev[y]):
			return 1
		}
		return 0
	})
}
