package contest

import (
	"slices"
	"sort"
	"strings"
)

// Candidate is one event that passed scope, eligibility, window, lateness and
// deduplication for a contest window: it may still be rate limited or capped.
type Candidate struct {
	TS         int64 // unix nanos
	EventID    string
	Base       int64   // points after bonus coefficient, rounding and cap_per_event
	Multiplier float64 // for highest_single_multiplier
	Division   string
	Day        int64 // contest day of TS (for the daily cap)

	// Results of the last computation (the two flags side by side: 80 bytes
	// a candidate instead of 88).
	final   int64 // points after the daily cap
	counted bool  // not rate limited
	pinned  bool  // folded (fold.go), held only as one of a board's best n
}

// Standing is a user's result on one board.
type Standing struct {
	Score   int64
	MaxMult float64
	Rounds  int64
	// Finish is the latest ts (unix nanos) among the events with points > 0
	// that make up the score, or -1 when there is none.
	Finish int64
	// LastPoints is the final points of the event that produced this
	// standing (the last accrual), for pushes.
	LastPoints int64
}

// Change is a board standing that changed after an Add.
type Change struct {
	Division string
	Standing Standing
	Removed  bool // the user has no counted event left on this board
}

// UserWindow is the scoring state of one user in one contest window. It keeps
// every candidate event in event-time order (ts, then event_id) so that rate
// limits and daily caps never depend on arrival order. Events that arrive in
// event-time order take an O(1) fast path (O(n) for best_n); an
// out-of-order arrival recomputes the window from its insertion point, from
// the last mark before it (state_marks.go), which is exact by construction.
//
// Events that can no longer change (older than the stream time minus
// max_event_delay) are folded into a summary by Fold (fold.go), which keeps
// the result exact while the state stays bounded.
//
// The layout is kept small on purpose (a scorer holds one per user and
// window, millions of them): no maps, the boards in a slice sorted by
// division with their folded share inline, the daily-cap use as one running
// (day, use) pair. Daily caps apply in event-time order and the contest day
// never decreases with ts, so only the newest day's use is ever needed.
type UserWindow struct {
	c      *Contest
	events []Candidate
	boards []boardState // sorted by division
	day    int64        // newest contest day with a counted candidate (hasDay)
	dayUse int64        // sum of final points on day, counted candidates only
	fold   foldMark     // fold.go
	mk     *marks       // state_marks.go: nil until an out-of-order insert into a big window
	hasDay bool
}

type boardState struct {
	div  string
	st   Standing
	base foldBoard // the folded candidates' share (rounds 0: none)
	kept []int     // best_n: indices into events of the kept n (sorted by bestNTotals)
}

// NewUserWindow returns empty state for c.
func NewUserWindow(c *Contest) *UserWindow {
	return &UserWindow{c: c}
}

// board returns the state of division div, or nil.
func (u *UserWindow) board(div string) *boardState {
	for i := range u.boards {
		if u.boards[i].div == div {
			return &u.boards[i]
		}
	}
	return nil
}

// addBoard inserts an empty board for div (not yet present), keeping the
// slice sorted, and returns it.
func (u *UserWindow) addBoard(div string) *boardState {
	u.dropMarks()
	i, _ := slices.BinarySearchFunc(u.boards, div, func(b boardState, d string) int { return strings.Compare(b.div, d) })
	u.boards = slices.Insert(u.boards, i, boardState{div: div, st: Standing{Finish: -1}, base: foldBoard{finish: -1}})
	return &u.boards[i]
}

// Len is the number of candidate events held.
func (u *UserWindow) Len() int { return len(u.events) }

// Standings calls fn for each board the user is on.
func (u *UserWindow) Standings(fn func(division string, st Standing)) {
	for i := range u.boards {
		fn(u.boards[i].div, u.boards[i].st)
	}
}

func candLess(a, b *Candidate) bool {
	if a.TS != b.TS {
		return a.TS < b.TS
	}
	return a.EventID < b.EventID
}

// Add takes one candidate and returns the board standings that changed.
func (u *UserWindow) Add(c Candidate) []Change { return u.AddTo(nil, c) }

// AddTo is Add appending the changes to dst (no allocation when dst has
// room).
func (u *UserWindow) AddTo(dst []Change, c Candidate) []Change {
	dst, _ = u.addAt(dst, c)
	return dst
}

// addAt is AddTo that also returns the index c was inserted at.
func (u *UserWindow) addAt(dst []Change, c Candidate) ([]Change, int) {
	n := len(u.events)
	if n == 0 || candLess(&u.events[n-1], &c) {
		u.events = append(u.events, c)
		return u.appendLast(dst), n
	}
	i := sort.Search(n, func(i int) bool { return candLess(&c, &u.events[i]) })
	u.events = append(u.events, Candidate{})
	copy(u.events[i+1:], u.events[i:])
	u.events[i] = c
	return u.recompute(dst, i), i
}

// AddCounted is AddTo followed by Outcome(c.TS, c.EventID), without
// Outcome's search: the candidate just inserted is at a known index.
// When an equal candidate (same ts and event id) was held before, Outcome
// finds that one, so then it searches as Outcome does.
func (u *UserWindow) AddCounted(dst []Change, c Candidate) (changes []Change, counted bool, points int64) {
	dst, i := u.addAt(dst, c)
	if i > 0 && u.events[i-1].TS == c.TS && u.events[i-1].EventID == c.EventID {
		counted, points, _ = u.Outcome(c.TS, c.EventID)
		return dst, counted, points
	}
	return dst, u.events[i].counted, u.events[i].final
}

// AddTo is UserWindow.AddTo.
func (s *WindowState) AddTo(dst []Change, c Candidate) []Change { return s.live().AddTo(dst, c) }

// AddCounted is UserWindow.AddCounted.
func (s *WindowState) AddCounted(dst []Change, c Candidate) ([]Change, bool, int64) {
	return s.live().AddCounted(dst, c)
}

// appendLast scores the newest (in event time) candidate incrementally.
func (u *UserWindow) appendLast(dst []Change) []Change {
	idx := len(u.events) - 1
	if u.markDue(idx) {
		u.pushMark(idx)
	}
	e := &u.events[idx]
	if u.rateLimited(idx, u.c.AntiAbuse.MaxEventsPerUserPerSec) {
		e.counted, e.final = false, 0
		return dst
	}
	e.counted = true
	e.final = u.capDaily(e.Day, e.Base)
	u.useDay(e.Day, e.final)

	b := u.board(e.Division)
	if b == nil {
		b = u.addBoard(e.Division)
	}
	prev := b.st
	st := &b.st
	first := st.Rounds == 0
	tally(u.c.Leaderboard.Type, st, e)
	if u.c.Leaderboard.Type == TypeBestN {
		u.bestNAppend(b, idx)
	}
	st.LastPoints = e.final
	if !first && standingEq(prev, *st) {
		return dst
	}
	return append(dst, Change{Division: e.Division, Standing: *st})
}

// tally counts the counted candidate e (newest in event-time order) on the
// standing st: rounds, highest multiplier and, for sum and max, the score and
// finish (best_n scores from its kept set).
func tally(typ string, st *Standing, e *Candidate) {
	first := st.Rounds == 0
	st.Rounds++
	if first || e.Multiplier > st.MaxMult {
		st.MaxMult = e.Multiplier
	}
	switch typ {
	case TypeMax:
		if first || e.final > st.Score {
			st.Score = e.final
			st.Finish = -1
			if e.final > 0 {
				st.Finish = e.TS
			}
		}
	case TypeBestN:
	default: // sum
		st.Score = SatAdd(st.Score, e.final)
		if e.final > 0 {
			st.Finish = e.TS
		}
	}
}

// useDay adds points to the day's cap use (only kept with a daily cap).
// Candidates are counted in event-time order, so day is never before u.day.
func (u *UserWindow) useDay(day, points int64) {
	if u.c.Scoring.CapPerUserPerDay == nil {
		return
	}
	if !u.hasDay || day != u.day {
		u.hasDay, u.day, u.dayUse = true, day, 0
	}
	u.dayUse = SatAdd(u.dayUse, points)
}

func (u *UserWindow) capDaily(day, base int64) int64 {
	capd := u.c.Scoring.CapPerUserPerDay
	if capd == nil {
		return base
	}
	used := int64(0)
	if u.hasDay && day == u.day {
		used = u.dayUse
	}
	rem := SatSub(*capd, used)
	if rem < 0 {
		rem = 0
	}
	if base > rem {
		return rem
	}
	return base
}

// keptWorse reports whether event a ranks below event b for best_n selection
// (fewer points; among equal points the later ts, then the larger event_id).
func keptWorse(a, b *Candidate) bool {
	if a.final != b.final {
		return a.final < b.final
	}
	return candLess(b, a)
}

// bestNAppend offers the newest event to the kept set. Being the latest in
// event time it loses every tie, so it enters only on strictly more points.
func (u *UserWindow) bestNAppend(b *boardState, idx int) {
	n := u.c.Leaderboard.N
	if len(b.kept) < n {
		b.kept = append(b.kept, idx)
	} else {
		worst := 0
		for k := 1; k < len(b.kept); k++ {
			if keptWorse(&u.events[b.kept[k]], &u.events[b.kept[worst]]) {
				worst = k
			}
		}
		if !keptWorse(&u.events[b.kept[worst]], &u.events[idx]) {
			return
		}
		b.kept[worst] = idx
	}
	u.bestNTotals(b)
}

func (u *UserWindow) bestNTotals(b *boardState) {
	var sum int64
	fin := int64(-1)
	slices.Sort(b.kept) // event-time order: the order a saturating sum is taken in
	for _, k := range b.kept {
		e := &u.events[k]
		sum = SatAdd(sum, e.final)
		if e.final > 0 && e.TS > fin {
			fin = e.TS
		}
	}
	b.st.Score, b.st.Finish = sum, fin
}

// recompute rebuilds what follows an out-of-order insert at index at and
// appends to dst the boards whose standing changed.
func (u *UserWindow) recompute(dst []Change, at int) []Change {
	var buf [4]Change
	old := buf[:0]
	for i := range u.boards {
		old = append(old, Change{Division: u.boards[i].div, Standing: u.boards[i].st})
	}
	if u.mk == nil && len(u.events) >= minMarked {
		u.mk = &marks{}
	}
	u.rescoreFrom(at)
	last := &u.events[at]
	if b := u.board(last.Division); b != nil {
		b.st.LastPoints = last.final
	}
	i := 0 // old and u.boards are both sorted by division
	for j := range u.boards {
		b := &u.boards[j]
		for i < len(old) && old[i].Division < b.div {
			dst = append(dst, Change{Division: old[i].Division, Standing: old[i].Standing, Removed: true})
			i++
		}
		if i < len(old) && old[i].Division == b.div {
			if !standingEq(old[i].Standing, b.st) {
				dst = append(dst, Change{Division: b.div, Standing: b.st})
			}
			i++
			continue
		}
		dst = append(dst, Change{Division: b.div, Standing: b.st})
	}
	for ; i < len(old); i++ {
		dst = append(dst, Change{Division: old[i].Division, Standing: old[i].Standing, Removed: true})
	}
	return dst
}

// standingEq compares what is visible on a board (LastPoints excluded).
func standingEq(a, b Standing) bool {
	return a.Score == b.Score && a.MaxMult == b.MaxMult && a.Rounds == b.Rounds && a.Finish == b.Finish
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Outcome reports what the held candidate (ts, eventID) is worth now:
// whether it counts (not rate limited) and its points after the daily cap.
// ok is false when the window holds no such candidate.
func (u *UserWindow) Outcome(ts int64, eventID string) (counted bool, points int64, ok bool) {
	probe := Candidate{TS: ts, EventID: eventID}
	i := sort.Search(len(u.events), func(i int) bool { return !candLess(&u.events[i], &probe) })
	if i == len(u.events) || u.events[i].TS != ts || u.events[i].EventID != eventID {
		return false, 0, false
	}
	return u.events[i].counted, u.events[i].final, true
}
