package contest

import (
	"encoding/binary"
	"math"
	"unique"

	"github.com/rankstream/rankstream/internal/varint"
)

// WindowState is a UserWindow as a scorer holds it, millions of them: an
// idle window (every candidate folded, at most one board, not best_n) is
// kept in a compact form of 80 bytes, the board's standing inline, its
// division interned and no slice, instead of the UserWindow (112 bytes) and
// its boards slice (112 bytes). In an idle window the folded share of the
// board equals its standing and the daily-cap use equals the folded one, so
// the compact form keeps each only once; the horizon (a whole second) and
// the rounds are kept in 32 bits when they fit (the window stays full when
// they do not). The next Add rebuilds exactly the UserWindow it came from
// (compact checks that before it drops anything). A window with candidates
// is the UserWindow itself, as before.
//
// A WindowState is a value meant to be embedded; it holds no pointer into
// itself, so moving it (before it is used again) is safe.
type WindowState struct {
	c    *Contest
	full *UserWindow // nil: idle, the fields below are the state
	// idle form: the board's standing (hasBoard) and division, the fold
	// horizon (the fold is done), the daily-cap use of day (hasDay)
	div        unique.Handle[string]
	score      int64
	maxMult    float64
	finish     int64
	lastPoints int64
	dayUse     int64
	upTo       uint32 // unix seconds
	rounds     uint32
	day        int32
	bits       uint8 // idleHasDay | idleHasBoard
	mark       uint8 // the holder's (Mark), kept in either form
}

const (
	idleHasDay uint8 = 1 << iota
	idleHasBoard
)

// liveWindow is a UserWindow allocated together with room for its first
// board (one allocation of 224 bytes instead of two of 112).
type liveWindow struct {
	uw  UserWindow
	one [1]boardState
}

func newLive(c *Contest) *UserWindow {
	lw := &liveWindow{uw: UserWindow{c: c}}
	lw.uw.boards = lw.one[:0:1]
	return &lw.uw
}

// MakeWindowState returns empty state for c.
func MakeWindowState(c *Contest) WindowState {
	return WindowState{c: c, full: newLive(c)}
}

// Contest is the contest the window scores.
func (s *WindowState) Contest() *Contest { return s.c }

// Idle reports whether the window is held in its compact form.
func (s *WindowState) Idle() bool { return s.full == nil }

// live returns the full window, rebuilding it from the compact form.
func (s *WindowState) live() *UserWindow {
	if s.full != nil {
		return s.full
	}
	u := newLive(s.c)
	hasDay := s.bits&idleHasDay != 0
	u.fold = foldMark{foldHorizon: foldHorizon{upTo: int64(s.upTo) * 1e9, done: true}, hasDay: hasDay, day: int64(s.day), dayUse: s.dayUse}
	u.hasDay, u.day, u.dayUse = hasDay, int64(s.day), s.dayUse
	if s.bits&idleHasBoard != 0 {
		st := s.standing()
		u.boards = append(u.boards, boardState{div: s.div.Value(), st: st, base: shareOf(st)})
	}
	*s = WindowState{c: s.c, full: u, mark: s.mark}
	return u
}

// standing is the idle board's standing.
func (s *WindowState) standing() Standing {
	return Standing{Score: s.score, MaxMult: s.maxMult, Rounds: int64(s.rounds), Finish: s.finish, LastPoints: s.lastPoints}
}

// shareOf is the folded share that equals the standing st.
func shareOf(st Standing) foldBoard {
	return foldBoard{score: st.Score, rounds: st.Rounds, maxMult: st.MaxMult, finish: st.Finish}
}

// compact turns the full window into the compact form when it is idle and
// the compact form rebuilds it exactly (live); otherwise it does nothing.
func (s *WindowState) compact() {
	u := s.full
	if u == nil || len(u.events) > 0 || len(u.boards) > 1 || !u.fold.done ||
		u.c.Leaderboard.Type == TypeBestN || u.hasDay != u.fold.hasDay ||
		u.day != u.fold.day || u.dayUse != u.fold.dayUse || u.day != int64(int32(u.day)) ||
		u.fold.upTo%1e9 != 0 || u.fold.upTo < 0 || u.fold.upTo/1e9 > math.MaxUint32 {
		return
	}
	idle := WindowState{c: u.c, upTo: uint32(u.fold.upTo / 1e9), dayUse: u.dayUse, day: int32(u.day), mark: s.mark}
	if u.hasDay {
		idle.bits |= idleHasDay
	}
	if len(u.boards) == 1 {
		b := &u.boards[0]
		if b.st.Rounds <= 0 || b.st.Rounds > math.MaxUint32 || len(b.kept) > 0 || b.base != shareOf(b.st) {
			return
		}
		idle.bits |= idleHasBoard
		idle.div = unique.Make(b.div)
		idle.score, idle.maxMult, idle.rounds, idle.finish, idle.lastPoints =
			b.st.Score, b.st.MaxMult, uint32(b.st.Rounds), b.st.Finish, b.st.LastPoints
	}
	*s = idle
}

// Add takes one candidate and returns the board standings that changed
// (UserWindow.Add).
func (s *WindowState) Add(c Candidate) []Change { return s.live().Add(c) }

// Outcome is UserWindow.Outcome (an idle window holds no candidate).
func (s *WindowState) Outcome(ts int64, eventID string) (counted bool, points int64, ok bool) {
	if s.full == nil {
		return false, 0, false
	}
	return s.full.Outcome(ts, eventID)
}

// FoldedBefore is UserWindow.FoldedBefore.
func (s *WindowState) FoldedBefore() int64 {
	if s.full == nil {
		return int64(s.upTo) * 1e9
	}
	return s.full.FoldedBefore()
}

// Fold is UserWindow.Fold; a window left idle turns compact.
func (s *WindowState) Fold(upTo int64) int {
	if s.full == nil {
		sec := floorDiv(upTo, 1e9)
		if sec <= int64(s.upTo) {
			return 0
		}
		if sec <= math.MaxUint32 {
			s.upTo = uint32(sec)
			return 0
		}
		s.live() // past what 32 bits hold: the window stays full
	}
	n := s.full.Fold(upTo)
	s.compact()
	return n
}

// NextFold is the ts (unix nanos) of the oldest candidate a Fold would take
// out of the window (the oldest not pinned); ok is false when there is none,
// and then a Fold only moves the horizon on.
func (s *WindowState) NextFold() (ts int64, ok bool) {
	if s.full == nil {
		return 0, false
	}
	for i := range s.full.events {
		if !s.full.events[i].pinned {
			return s.full.events[i].TS, true
		}
	}
	return 0, false
}

// Mark is a byte of the holder's own (the engine's prune bookkeeping); the
// window does not use it and keeps it across its two forms.
func (s *WindowState) Mark() uint8 { return s.mark }

// SetMark sets the holder's byte (Mark).
func (s *WindowState) SetMark(m uint8) { s.mark = m }

// Len is the number of candidate events held.
func (s *WindowState) Len() int {
	if s.full == nil {
		return 0
	}
	return s.full.Len()
}

// Standings calls fn for each board the user is on.
func (s *WindowState) Standings(fn func(division string, st Standing)) {
	if s.full != nil {
		s.full.Standings(fn)
	} else if s.bits&idleHasBoard != 0 {
		fn(s.div.Value(), s.standing())
	}
}

// AppendBinary is UserWindow.AppendBinary: the same bytes in either form.
func (s *WindowState) AppendBinary(b []byte) []byte {
	if s.full != nil {
		return s.full.AppendBinary(b)
	}
	// appendFold of the rebuilt window, no candidates, its boards.
	b = append(b, 1)
	b = binary.AppendVarint(b, int64(s.upTo)*1e9)
	if s.bits&idleHasDay != 0 {
		b = append(b, 1)
		b = binary.AppendVarint(b, int64(s.day))
		b = binary.AppendVarint(b, s.dayUse)
	} else {
		b = append(b, 0)
	}
	if s.bits&idleHasBoard == 0 {
		return append(b, 0, 0, 0) // no folded board, no candidate, no board
	}
	div := s.div.Value()
	b = append(b, 1)
	b = varint.AppendStr(b, div)
	b = binary.AppendVarint(b, s.score)
	b = binary.AppendVarint(b, int64(s.rounds))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.maxMult))
	b = binary.AppendVarint(b, s.finish)
	b = append(b, 0, 1) // no candidate; one board
	b = varint.AppendStr(b, div)
	return binary.AppendVarint(b, s.lastPoints)
}

// UnmarshalWindowState is UnmarshalUserWindow into a WindowState (compact
// when idle).
func UnmarshalWindowState(c *Contest, data []byte) (WindowState, []byte, error) {
	u, rest, err := UnmarshalUserWindow(c, data)
	if err != nil {
		return WindowState{}, nil, err
	}
	s := WindowState{c: c, full: u}
	s.compact()
	return s, rest, nil
}
