package contest

import (
	"encoding/binary"
	"math"
	"sort"

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

// foldSummary is what the folded candidates left behind.
type foldSummary struct {
	upTo   int64 // unix nanos, a whole second: every folded candidate has TS < upTo
	hasDay bool
	day    int64 // contest day of the newest folded counted candidate
	dayUse int64 // daily-cap use of that day by the folded candidates
	boards map[string]*foldBoard
}

// foldBoard is one board's share of the summary.
type foldBoard struct {
	score   int64 // sum and max; best_n scores from its pinned candidates
	rounds  int64
	maxMult float64
	finish  int64 // -1: none
}

// FoldedBefore is the horizon of the last Fold (unix nanos; 0: none). A
// candidate with TS before it must not be added.
func (u *UserWindow) FoldedBefore() int64 {
	if u.fold == nil {
		return 0
	}
	return u.fold.upTo
}

// Fold folds every candidate with TS < upTo (cut down to a whole second) into
// the summary and returns how many candidates it folded (all of them leave
// the state, but for best_n the n best of each board, which stay pinned).
// The standings do not change. See the comment above for the caller's
// guarantee.
func (u *UserWindow) Fold(upTo int64) int {
	upTo = floorDiv(upTo, 1e9) * 1e9
	if u.fold != nil && upTo <= u.fold.upTo {
		return 0
	}
	k := sort.Search(len(u.events), func(i int) bool { return u.events[i].TS >= upTo })
	if u.fold == nil {
		u.fold = &foldSummary{boards: make(map[string]*foldBoard, len(u.boards))}
	}
	u.fold.upTo = upTo
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
			u.fold.add(u.c.Leaderboard.Type, e)
		}
	}
	prefix := u.events[:k]
	if u.c.Leaderboard.Type == TypeBestN {
		prefix = bestOfPrefix(prefix, u.c.Leaderboard.N)
	} else {
		prefix = prefix[:0]
	}
	if k == len(prefix) {
		return folded // nothing released: every folded candidate stays pinned
	}
	rest := make([]Candidate, 0, len(prefix)+len(u.events)-k)
	rest = append(rest, prefix...)
	rest = append(rest, u.events[k:]...)
	u.events = rest
	old := u.boards
	u.rescore()
	for d, b := range u.boards {
		if o := old[d]; o != nil {
			b.st.LastPoints = o.st.LastPoints
		}
	}
	return folded
}

// add folds one counted candidate (in event-time order).
func (f *foldSummary) add(typ string, e *Candidate) {
	if !f.hasDay || e.Day != f.day {
		f.hasDay, f.day, f.dayUse = true, e.Day, 0
	}
	f.dayUse = SatAdd(f.dayUse, e.final)
	b := f.boards[e.Division]
	if b == nil {
		b = &foldBoard{finish: -1}
		f.boards[e.Division] = b
	}
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

// bestOfPrefix returns, in event-time order and marked pinned, the n best
// counted candidates of each division among prefix (which it reuses).
func bestOfPrefix(prefix []Candidate, n int) []Candidate {
	byDiv := map[string][]int{}
	for i := range prefix {
		if e := &prefix[i]; e.counted {
			byDiv[e.Division] = append(byDiv[e.Division], i)
		}
	}
	keep := make([]bool, len(prefix))
	for _, idx := range byDiv {
		sort.Slice(idx, func(x, y int) bool { return keptWorse(&prefix[idx[y]], &prefix[idx[x]]) })
		for _, i := range idx[:min(n, len(idx))] {
			keep[i] = true
		}
	}
	out := prefix[:0]
	for i := range prefix {
		if keep[i] {
			e := prefix[i]
			e.pinned = true
			out = append(out, e)
		}
	}
	return out
}

// seedBoards returns fresh board states holding the summary (empty for nil).
func (f *foldSummary) seedBoards() map[string]*boardState {
	if f == nil {
		return make(map[string]*boardState, 1)
	}
	out := make(map[string]*boardState, len(f.boards))
	for d, b := range f.boards {
		out[d] = &boardState{st: Standing{Score: b.score, MaxMult: b.maxMult, Rounds: b.rounds, Finish: b.finish}}
	}
	return out
}

// seedDayUse puts the folded day's cap use into dayUse (nil: no daily cap).
func (f *foldSummary) seedDayUse(dayUse map[int64]int64) {
	if f != nil && f.hasDay && dayUse != nil {
		dayUse[f.day] = f.dayUse
	}
}

// appendBinary writes the summary (a 0 byte for none).
func (f *foldSummary) appendBinary(b []byte) []byte {
	if f == nil {
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
	divs := make([]string, 0, len(f.boards))
	for d := range f.boards {
		divs = append(divs, d)
	}
	sort.Strings(divs)
	b = binary.AppendUvarint(b, uint64(len(divs)))
	for _, d := range divs {
		fb := f.boards[d]
		b = varint.AppendStr(b, d)
		b = binary.AppendVarint(b, fb.score)
		b = binary.AppendVarint(b, fb.rounds)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(fb.maxMult))
		b = binary.AppendVarint(b, fb.finish)
	}
	return b
}

// readFold reads what appendBinary wrote (nil for none); errors stick in r.
func readFold(r *varint.Reader) *foldSummary {
	if r.Byte() != 1 {
		return nil
	}
	f := &foldSummary{upTo: r.Varint()}
	if r.Byte() == 1 {
		f.hasDay, f.day, f.dayUse = true, r.Varint(), r.Varint()
	}
	n := r.Uvarint()
	if n > uint64(len(r.B)) {
		r.Err = varint.ErrTruncated
		return nil
	}
	f.boards = make(map[string]*foldBoard, n)
	for i := uint64(0); i < n && r.Err == nil; i++ {
		d := r.Str()
		f.boards[d] = &foldBoard{score: r.Varint(), rounds: r.Varint(),
			maxMult: math.Float64frombits(r.U64()), finish: r.Varint()}
	}
	return f
}
