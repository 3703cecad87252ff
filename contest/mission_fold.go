package contest

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/rankstream/rankstream/internal/varint"
)

// Folding a user's mission window (CONTRACT.md §3: nothing older than
// max_event_delay can change), as UserWindow.Fold does for contests.
//
// The caller guarantees that no candidate with TS < upTo is added after
// Fold(upTo). The candidates before upTo are then a fixed prefix in
// event-time order: upTo is cut to a whole second, so no later event shares
// a rate-limit second with them, and every later event sorts after them. The
// steps' progress after that prefix is therefore final, and it is all the
// later events need: the first step not done, its progress, and for a
// distinct_games step the games seen so far (fewer than its count). Steps
// done in the prefix were reported when they became done (Add reports at
// once), so only their report times, which UserMission keeps anyway, stay.

// missionFold is what the folded candidates left behind.
type missionFold struct {
	foldHorizon
	cur   int   // first step not done after the folded prefix
	prog  int64 // its progress
	games []string
}

// FoldedBefore is the horizon of the last Fold (unix nanos; 0: none). A
// candidate with TS before it must not be added.
func (u *UserMission) FoldedBefore() int64 { return u.fold.before() }

// Fold folds every candidate with TS < upTo (cut down to a whole second) into
// the summary and returns how many it folded. Progress and reported steps do
// not change. See the comment above for the caller's guarantee.
func (u *UserMission) Fold(upTo int64) int {
	k := u.foldPoint(upTo)
	if k == 0 {
		return 0
	}
	if k == len(u.events) {
		u.fold.cur, u.fold.prog, u.fold.games = u.cur, u.prog, gameList(u.games)
		u.events = nil // the derived state is the summary's: nothing to redo
		return k
	}
	// The state before events[k] is the summary; the candidates from k on
	// keep the state before each, so nothing is recomputed.
	e := &u.events[k]
	var games map[string]struct{}
	if int(e.step) < len(u.m.Steps) && u.m.Steps[e.step].Goal.Type == GoalDistinctGames && e.prog > 0 {
		games = make(map[string]struct{}, e.prog)
		u.gamesBefore(k, games)
	}
	u.fold.cur, u.fold.prog, u.fold.games = int(e.step), e.prog, gameList(games)
	u.dropFolded(k)
	return k
}

// foldPoint advances the horizon to upTo (cut to a whole second) and
// returns how many candidates are before it (0: the horizon did not move).
func (u *UserMission) foldPoint(upTo int64) int {
	upTo, ok := u.fold.advance(upTo)
	if !ok {
		return 0
	}
	return sort.Search(len(u.events), func(i int) bool { return u.events[i].TS >= upTo })
}

// dropFolded drops events[:k] (0 < k < len), in place unless the slice
// holds more than twice what is left: then it gives the memory back.
func (u *UserMission) dropFolded(k int) {
	n := copy(u.events, u.events[k:])
	clear(u.events[n:]) // the strings go
	if cap(u.events) > 2*n+8 {
		u.events = append(make([]MissionCand, 0, n+n/4), u.events[:n]...)
		return
	}
	u.events = u.events[:n]
}

// gameList is the games of set, sorted (nil: none).
func gameList(set map[string]struct{}) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for g := range set {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// fromFold resets the derived state to the folded summary's.
func (u *UserMission) fromFold() {
	u.cur, u.prog = u.fold.cur, u.fold.prog
	clear(u.games)
	if len(u.fold.games) > 0 {
		if u.games == nil {
			u.games = make(map[string]struct{}, len(u.fold.games)+1)
		}
		for _, g := range u.fold.games {
			u.games[g] = struct{}{}
		}
	}
}

// appendFold writes the summary: 0 when never folded, else 1 | upTo | cur |
// prog | #games {game}.
func (u *UserMission) appendFold(b []byte) []byte {
	if !u.fold.done {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, u.fold.upTo)
	b = binary.AppendUvarint(b, uint64(u.fold.cur))
	b = binary.AppendVarint(b, u.fold.prog)
	b = binary.AppendUvarint(b, uint64(len(u.fold.games)))
	for _, g := range u.fold.games {
		b = varint.AppendStr(b, g)
	}
	return b
}

// readFold reads what appendFold wrote and checks it against the mission.
func (u *UserMission) readFold(r *varint.Reader) error {
	switch r.Byte() {
	case 0:
		return r.Err
	case 1:
	default:
		return fmt.Errorf("%w: mission fold flag", ErrBadState)
	}
	f := &u.fold
	f.done, f.upTo = true, r.Varint()
	cur, prog, n := r.Uvarint(), r.Varint(), r.Uvarint()
	if r.Err != nil || cur > uint64(len(u.m.Steps)) || prog < 0 || n > uint64(len(r.B)) || f.upTo%1e9 != 0 {
		return fmt.Errorf("%w: mission fold", ErrBadState)
	}
	f.cur, f.prog = int(cur), prog
	for i := uint64(0); i < n; i++ {
		f.games = append(f.games, r.Str())
	}
	if r.Err != nil {
		return fmt.Errorf("%w: mission fold games: %w", ErrBadState, r.Err)
	}
	u.fromFold()
	return nil
}
