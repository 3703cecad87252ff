package contest

import (
	"slices"
	"sort"
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

	// Results of the last computation.
	counted bool  // not rate limited
	final   int64 // points after the daily cap
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
// event-time order take an O(1)/O(n) fast path; an out-of-order arrival
// recomputes the user's window from scratch, which is exact by construction.
//
// Events that can no longer change (older than the stream time minus
// max_event_delay) are folded into a summary by Fold (fold.go), which keeps
// the result exact while the state stays bounded.
type UserWindow struct {
	c      *Contest
	events []Candidate
	dayUse map[int64]int64 // sum of final points per day, counted events only
	boards map[string]*boardState
	fold   *foldSummary // nil until the first Fold
}

type boardState struct {
	st   Standing
	kept []int // best_n: indices into events of the kept n (sorted by bestNTotals)
}

// NewUserWindow returns empty state for c.
func NewUserWindow(c *Contest) *UserWindow {
	return &UserWindow{c: c, boards: make(map[string]*boardState, 1)}
}

// Len is the number of candidate events held.
func (u *UserWindow) Len() int { return len(u.events) }

// Standings calls fn for each board the user is on.
func (u *UserWindow) Standings(fn func(division string, st Standing)) {
	for d, b := range u.boards {
		fn(d, b.st)
	}
}

func candLess(a, b *Candidate) bool {
	if a.TS != b.TS {
		return a.TS < b.TS
	}
	return a.EventID < b.EventID
}

// Add takes one candidate and returns the board standings that changed.
func (u *UserWindow) Add(c Candidate) []Change {
	n := len(u.events)
	if n == 0 || candLess(&u.events[n-1], &c) {
		u.events = append(u.events, c)
		return u.appendLast()
	}
	i := sort.Search(n, func(i int) bool { return candLess(&c, &u.events[i]) })
	u.events = append(u.events, Candidate{})
	copy(u.events[i+1:], u.events[i:])
	u.events[i] = c
	return u.recompute(i)
}

// appendLast scores the newest (in event time) candidate incrementally.
func (u *UserWindow) appendLast() []Change {
	idx := len(u.events) - 1
	e := &u.events[idx]
	if m := u.c.AntiAbuse.MaxEventsPerUserPerSec; m > 0 {
		sec := floorDiv(e.TS, 1e9)
		cnt := 0
		for j := idx - 1; j >= 0 && floorDiv(u.events[j].TS, 1e9) == sec; j-- {
			if u.events[j].counted {
				cnt++
			}
		}
		if cnt >= m {
			e.counted, e.final = false, 0
			return nil
		}
	}
	e.counted = true
	e.final = u.capDaily(e.Day, e.Base)
	u.useDay(e.Day, e.final)

	b := u.boards[e.Division]
	if b == nil {
		b = &boardState{st: Standing{Finish: -1}}
		u.boards[e.Division] = b
	}
	prev := b.st
	st := &b.st
	first := st.Rounds == 0
	st.Rounds++
	if first || e.Multiplier > st.MaxMult {
		st.MaxMult = e.Multiplier
	}
	switch u.c.Leaderboard.Type {
	case TypeMax:
		if first || e.final > st.Score {
			st.Score = e.final
			st.Finish = -1
			if e.final > 0 {
				st.Finish = e.TS
			}
		}
	case TypeBestN:
		u.bestNAppend(b, idx)
	default: // sum
		st.Score = SatAdd(st.Score, e.final)
		if e.final > 0 {
			st.Finish = e.TS
		}
	}
	st.LastPoints = e.final
	if !first && standingEq(prev, *st) {
		return nil
	}
	return []Change{{Division: e.Division, Standing: *st}}
}

// useDay adds points to the day's cap use (only kept with a daily cap).
func (u *UserWindow) useDay(day, points int64) {
	if u.c.Scoring.CapPerUserPerDay == nil {
		return
	}
	if u.dayUse == nil {
		u.dayUse = make(map[int64]int64, 1)
	}
	u.dayUse[day] = SatAdd(u.dayUse[day], points)
}

func (u *UserWindow) capDaily(day, base int64) int64 {
	capd := u.c.Scoring.CapPerUserPerDay
	if capd == nil {
		return base
	}
	rem := SatSub(*capd, u.dayUse[day])
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

// recompute rebuilds everything from the sorted events after an out-of-order
// insert at index at, and returns the boards whose standing changed.
func (u *UserWindow) recompute(at int) []Change {
	old := u.boards
	u.rescore()
	last := &u.events[at]
	var out []Change
	for d, b := range u.boards {
		if d == last.Division {
			b.st.LastPoints = last.final
		} else if o := old[d]; o != nil {
			b.st.LastPoints = o.st.LastPoints
		}
		if o := old[d]; o == nil || !standingEq(o.st, b.st) {
			out = append(out, Change{Division: d, Standing: b.st})
		}
	}
	for d, o := range old {
		if _, ok := u.boards[d]; !ok {
			out = append(out, Change{Division: d, Standing: o.st, Removed: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Division < out[j].Division })
	return out
}

// rescore rebuilds the boards and the daily cap use from the folded summary
// (fold.go) and the sorted events. LastPoints is left 0.
func (u *UserWindow) rescore() {
	u.boards = u.fold.seedBoards()
	clear(u.dayUse)
	if u.dayUse == nil && u.c.Scoring.CapPerUserPerDay != nil {
		u.dayUse = make(map[int64]int64, 1)
	}
	u.fold.seedDayUse(u.dayUse)
	m := u.c.AntiAbuse.MaxEventsPerUserPerSec
	secCount, curSec := 0, int64(0)
	for i := range u.events {
		e := &u.events[i]
		if e.pinned { // folded, kept for best_n: counted and final are fixed
			if b := u.boards[e.Division]; b != nil && u.c.Leaderboard.Type == TypeBestN {
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
		b := u.boards[e.Division]
		if b == nil {
			b = &boardState{st: Standing{Finish: -1}}
			u.boards[e.Division] = b
		}
		st := &b.st
		first := st.Rounds == 0
		st.Rounds++
		if first || e.Multiplier > st.MaxMult {
			st.MaxMult = e.Multiplier
		}
		switch u.c.Leaderboard.Type {
		case TypeMax:
			if first || e.final > st.Score {
				st.Score = e.final
				st.Finish = -1
				if e.final > 0 {
					st.Finish = e.TS
				}
			}
		case TypeBestN:
			b.kept = append(b.kept, i)
		default:
			st.Score = SatAdd(st.Score, e.final)
			if e.final > 0 {
				st.Finish = e.TS
			}
		}
	}
	if u.c.Leaderboard.Type == TypeBestN {
		n := u.c.Leaderboard.N
		for _, b := range u.boards {
			sort.Slice(b.kept, func(x, y int) bool {
				return keptWorse(&u.events[b.kept[y]], &u.events[b.kept[x]])
			})
			if len(b.kept) > n {
				b.kept = b.kept[:n]
			}
			u.bestNTotals(b)
		}
	}
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
