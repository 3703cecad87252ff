package aggregator

import (
	"github.com/rankstream/rankstream/contest"
)

// The due queue: a prune visits only the user windows it has something to
// do with, not every window of the partition (1M idle users would be 1M
// fold calls a prune). Per partition and contest, a dueQueue holds
//
//   - fresh: the windows added since the last prune (new, restored, swapped
//     in by a re-score), each visited by the next prune, whose Fold sets its
//     first horizon as a visit of every window did;
//   - buckets: every other window with a candidate a Fold would take out
//     (WindowState.NextFold), by the whole second of that candidate's ts; a
//     prune with horizon h visits the buckets before h's second (an entry
//     whose window has nothing left before h is stale and goes).
//
// A window a prune did not visit only missed the move of its horizon: that
// is upTo, the horizon of the contest's last prune, and the window takes it
// (settle) before anything reads it: a lookup (partState.window) and a walk
// over the windows (eachWindow: checkpoints, standings, a re-score's swap).
// A fresh window is marked (WindowState.Mark) and settles only once visited.
// The results are those of visiting every window at every prune.
type dueQueue struct {
	upTo    int64 // horizon of the last prune (unix nanos, a whole second; 0: none yet)
	fresh   []*contest.WindowState
	buckets map[int64][]*contest.WindowState // by second of WindowState.NextFold
}

// markFresh marks a window added since its contest's last prune.
const markFresh uint8 = 1

// queue returns the due queue of contest id, made when missing.
func (ps *partState) queue(id string) *dueQueue {
	q := ps.due[id]
	if q == nil {
		if ps.due == nil {
			ps.due = map[string]*dueQueue{}
		}
		q = &dueQueue{buckets: map[int64][]*contest.WindowState{}}
		ps.due[id] = q
	}
	return q
}

// added queues st, just added to the partition as k, for the next prune.
func (ps *partState) added(st *contest.WindowState, k uwKey) {
	st.SetMark(markFresh)
	q := ps.queue(k.contest)
	q.fresh = append(q.fresh, st)
	if ps.ends != nil {
		w := cwKey{k.contest, k.window}
		ps.ends[w] = append(ps.ends[w], k.user)
	}
}

// settle moves the horizon of st, unless fresh, to its contest's last
// prune's (a prune that did not visit st would have moved it there).
func (ps *partState) settle(st *contest.WindowState) {
	if st.Mark() == markFresh {
		return
	}
	if q := ps.due[st.Contest().ID]; q != nil && q.upTo != 0 {
		st.Fold(q.upTo) // nothing of st is past it: only the horizon moves
	}
}

// addCandidate adds cand to st, queues st when its oldest candidate to
// fold is now earlier than it was (or it had none), and returns the
// changes and what cand is worth now (contest.UserWindow.AddCounted).
func (ps *partState) addCandidate(st *contest.WindowState, cand contest.Candidate) ([]contest.Change, bool, int64) {
	fresh := st.Mark() == markFresh // the next prune visits it anyway
	var before int64
	var had bool
	if !fresh {
		before, had = st.NextFold()
	}
	changes, counted, points := st.AddCounted(ps.changes[:0], cand)
	ps.changes = changes
	if fresh {
		return changes, counted, points
	}
	if after, ok := st.NextFold(); ok && (!had || after < before) {
		ps.queue(st.Contest().ID).push(st, after)
	}
	return changes, counted, points
}

// push queues st under the second of ts (never before the last prune's).
func (q *dueQueue) push(st *contest.WindowState, ts int64) {
	b := max(floorDivI(ts, 1e9), q.upTo/1e9)
	q.buckets[b] = append(q.buckets[b], st)
}

// visit folds st at horizon upTo and queues it again by its next candidate
// to fold; it returns how many candidates were folded.
func (q *dueQueue) visit(st *contest.WindowState, upTo int64) int {
	st.SetMark(0)
	n := st.Fold(upTo)
	if ts, ok := st.NextFold(); ok {
		q.push(st, ts)
	}
	return n
}

// due reports whether a Fold of st at upTo would take a candidate out. An
// entry of a window that is not is stale: a visit since it was queued
// folded its candidates and queued it again.
func due(st *contest.WindowState, upTo int64) bool {
	if st.Contest() == nil { // dropped since it was queued (dropNode)
		return false
	}
	ts, ok := st.NextFold()
	return ok && ts < upTo
}

// prune folds the windows of q due at horizon upTo (a whole second): the
// fresh ones and those of the buckets before upTo's second. It returns how
// many candidates it folded. eachOf walks every window of q's contest (only
// when the horizon went back: a contest's max_event_delay grew).
func (q *dueQueue) prune(upTo int64, eachOf func(fn func(*contest.WindowState))) int {
	if q.upTo != 0 && upTo < q.upTo {
		// Each window keeps the horizon it had: settle them all first.
		old := q.upTo
		eachOf(func(st *contest.WindowState) {
			if st.Mark() != markFresh {
				st.Fold(old)
			}
		})
	}
	folded := 0
	fresh := q.fresh
	q.fresh = nil
	for _, st := range fresh {
		if st.Contest() != nil {
			folded += q.visit(st, upTo)
		}
	}
	if cap(fresh) <= 1024 {
		q.fresh = fresh[:0]
	}
	end := upTo / 1e9 // buckets before this second are due
	from := q.upTo / 1e9
	if q.upTo == 0 || end-from > int64(len(q.buckets)) {
		var due []int64
		for b := range q.buckets {
			if b < end {
				due = append(due, b)
			}
		}
		for _, b := range due {
			folded += q.popBucket(b, upTo)
		}
	} else {
		for b := from; b < end; b++ {
			folded += q.popBucket(b, upTo)
		}
	}
	q.upTo = upTo
	return folded
}

// popBucket visits the windows of bucket b and removes it.
func (q *dueQueue) popBucket(b, upTo int64) int {
	sts, ok := q.buckets[b]
	if !ok {
		return 0
	}
	delete(q.buckets, b)
	folded := 0
	for _, st := range sts {
		if due(st, upTo) {
			folded += q.visit(st, upTo)
		}
	}
	return folded
}
