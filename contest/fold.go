package contest

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/rankstream/rankstream/internal/varint"
)

// Folding (CONTRACT.md §3: nothing older than max_event_delay can change).
//
// The caller guarantees that no candidate with TS < upTo is added after
// Fold(upTo): with upTo ≤ stream time − max_event_delay every such arrival is
// late. The candidates before upTo are then a fixed prefix in event-time
// order, and their rate limit, daily-cap use and points are final. Fold
// replaces them by a summary that keeps exactly what the later events and the
// standings need:
//
//   - per board: the score so far (sum: the saturating Σ; max: the highest
//     points and its finish), the number of counted events, the highest
//     multiplier and the finish time;
//   - best_n: the n best folded candidates of each board stay held ("pinned",
//     with their final points fixed): a folded candidate outside the n best of
//     the prefix can never be among the n best of the window, as later events
//     only push candidates out and lose every tie to earlier ones;
//   - the daily cap use of the day of the newest folded event: later events
//     are on that day or after it;
//   - the rate-limit second: upTo is cut to a whole second, so no later event
//     shares a second with a folded one and nothing of the limit carries over.

// foldMark is what the folded candidates left behind besides each board's
// share (boardState.base).
type foldMark struct {
	foldHorizon
	day    int64 // contest day of the newest folded counted candidate (hasDay)
	dayUse int64 // daily-cap use of that day by the folded candidates
	hasDay bool
}

// foldHorizon is where the last Fold of a user's window or mission window
// cut its candidates.
type foldHorizon struct {
	upTo int64 // unix nanos, a whole second: every folded candidate has TS < upTo
	done bool  // folded at least once
}

// before is the horizon (unix nanos; 0: never folded).
func (h *foldHorizon) before() int64 {
	if !h.done {
		return 0
	}
	return h.upTo
}

// advance moves the horizon to upTo cut down to a whole second and returns
// it, or false when that is not past the horizon (nothing to fold).
func (h *foldHorizon) advance(upTo int64) (int64, bool) {
	upTo = floorDiv(upTo, 1e9) * 1e9
	if h.done && upTo <= h.upTo {
		return 0, false
	}
	h.done, h.upTo = true, upTo
	return upTo, true
}

// foldBoard is one board's share of the summary.
type foldBoard struct {
	score   int64 // sum and max; best_n scores from its pinned candidates
	rounds  int64 // 0: no folded candidate on this board
	maxMult float64
	finish  int64 // -1: none
}

// standing is the board's standing with only the folded share counted.
func (f foldBoard) standing(lastPoints int64) Standing {
	if f.rounds == 0 {
		return Standing{Finish: -1, LastPoints: lastPoints}
	}
	return Standing{Score: f.score, MaxMult: f.maxMult, Rounds: f.rounds, Finish: f.finish, LastPoints: lastPoints}
}

// FoldedBefore is the horizon of the last Fold (unix nanos; 0: none). A
// candidate with TS before it must not be added.
func (u *UserWindow) FoldedBefore() int64 { return u.fold.before() }

// Fold folds every candidate with TS < upTo (cut down to a whole second) into
// the summary and returns how many candidates it folded (all of them leave
// the state, but for best_n the n best of each board, which stay pinned).
// The standings do not change. See the comment above for the caller's
// guarantee.
func (u *UserWindow) Fold(upTo int64) int {
	upTo, ok := u.fold.advance(upTo)
	if !ok {
		return 0
	}
	k := sort.Search(len(u.events), func(i int) bool { return u.events[i].TS >= upTo })
	if k == 0 {
		return 0
	}
	folded := 0
	for i := range u.events[:k] {
		e := &u.events[i]
		if e.pinned {
			continue
		}
		folded++
		if e.counted {
			u.foldOne(e)
		}
	}
	u.dropMarksBefore(k)
	var keep []int // best_n: the folded candidates that stay pinned
	if u.c.Leaderboard.Type == TypeBestN {
		keep = u.bestOfPrefix(k)
	}
	for _, i := range keep {
		u.events[i].pinned = true
	}
	if len(keep) < k {
		u.release(k, keep)
	}
	return folded
}

// release drops the folded candidates events[:k] but those at the indices
// keep (ascending), which move to the front. Nothing they decided changes:
// only the indices into events (best_n kept sets, marks) are renumbered.
func (u *UserWindow) release(k int, keep []int) {
	for j, i := range keep {
		u.events[j] = u.events[i]
	}
	p := len(keep)
	newIdx := func(x int) int {
		if x >= k {
			return x - k + p
		}
		j, _ := slices.BinarySearch(keep, x) // a kept folded candidate is pinned
		return j
	}
	for i := range u.boards {
		for j, x := range u.boards[i].kept {
			u.boards[i].kept[j] = newIdx(x)
		}
	}
	u.renumberMarks(newIdx)
	n := p + copy(u.events[p:], u.events[k:])
	clear(u.events[n:])
	switch {
	case n == 0:
		u.events = nil
	case cap(u.events) > 2*n+8: // give the memory back
		u.events = append(make([]Candidate, 0, n+n/4), u.events[:n]...)
	default:
		u.events = u.events[:n]
	}
}

// foldOne folds one counted candidate (in event-time order) into the mark
// and its board's share; the board exists, as e counts on it.
func (u *UserWindow) foldOne(e *Candidate) {
	if f := &u.fold; u.c.Scoring.CapPerUserPerDay != nil { // kept as useDay keeps it
		if !f.hasDay || e.Day != f.day {
			f.hasDay, f.day, f.dayUse = true, e.Day, 0
		}
		f.dayUse = SatAdd(f.dayUse, e.final)
	}
	u.board(e.Division).base.add(u.c.Leaderboard.Type, e)
}

// add folds one counted candidate (in event-time order) into the share.
func (b *foldBoard) add(typ string, e *Candidate) {
	first := b.rounds == 0
	b.rounds++
	if first || e.Multiplier > b.maxMult {
		b.maxMult = e.Multiplier
	}
	switch typ {
	case TypeMax:
		if first || e.final > b.score {
			b.score, b.finish = e.final, -1
			if e.final > 0 {
				b.finish = e.TS
			}
		}
	case TypeBestN: // scored from the pinned candidates
	default:
		b.score = SatAdd(b.score, e.final)
		if e.final > 0 {
			b.finish = e.TS
		}
	}
}

// bestOfPrefix returns the indices (ascending) of the n best counted
// candidates of each division among events[:k].
func (u *UserWindow) bestOfPrefix(k int) []int {
	var idx []int
	for i := range u.events[:k] {
		if u.events[i].counted {
			idx = append(idx, i)
		}
	}
	ev := u.events
	slices.SortFunc(idx, func(x, y int) int {
		if c := strings.Compare(ev[x].Division, ev[y].Division); c != 0 {
			return c
		}
		if keptWorse(&ev[y], &ev[x]) {
			return -1
		}
		return 1
	})
	n, out, run := u.c.Leaderboard.N, idx[:0], 0
	for j, i := range idx {
		if j > 0 && ev[i].Division != ev[idx[j-1]].Division {
			run = 0
		}
		if run < n {
			out = append(out, i)
		}
		run++
	}
	slices.Sort(out)
	return out
}

// appendFold writes the fold mark and the boards' shares (a 0 byte for none).
func (u *UserWindow) appendFold(b []byte) []byte {
	f := &u.fold
	if !f.done {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, f.upTo)
	if f.hasDay {
		b = append(b, 1)
		b = binary.AppendVarint(b, f.day)
		b = binary.AppendVarint(b, f.dayUse)
	} else {
		b = append(b, 0)
	}
	n := 0
	for i := range u.boards {
		if u.boards[i].base.rounds > 0 {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for i := range u.boards { // sorted by division
		fb := &u.boards[i].base
		if fb.rounds == 0 {
			continue
		}
		b = varint.AppendStr(b, u.boards[i].div)
		b = binary.AppendVarint(b, fb.score)
		b = binary.AppendVarint(b, fb.rounds)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(fb.maxMult))
		b = binary.AppendVarint(b, fb.finish)
	}
	return b
}

// readFold reads what appendFold wrote into u (new, without boards); the
// boards with a folded share are created. Errors stick in r.
func (u *UserWindow) readFold(r *varint.Reader) {
	if r.Byte() != 1 {
		return
	}
	f := &u.fold
	f.done, f.upTo = true, r.Varint()
	if r.Byte() == 1 {
		f.hasDay, f.day, f.dayUse = true, r.Varint(), r.Varint()
	}
	n := r.Uvarint()
	if n > uint64(len(r.B)) {
		r.Err = varint.ErrTruncated
		return
	}
	for i := uint64(0); i < n && r.Err == nil; i++ {
		d := r.Str()
		fb := foldBoard{score: r.Varint(), rounds: r.Varint(), maxMult: math.Float64frombits(r.U64()), finish: r.Varint()}
		if r.Err != nil {
			return
		}
		if fb.rounds <= 0 || u.board(d) != nil {
			r.Err = errBadFold
			return
		}
		u.addBoard(d).base = fb
	}
}
