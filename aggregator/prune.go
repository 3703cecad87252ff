package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Pruning keeps a partition's state bounded (CONTRACT.md §3: nothing older
// than max_event_delay can change, nothing of a window is needed once it is
// final and paid). All of it runs on stream time, the JetStream timestamps of
// the applied events, never on the wall clock, so a replay and a restart
// prune alike; folding never changes a decision, and a window is freed only
// when every arrival for it is late anyway.
//
//   - Each user window folds the candidates older than stream time −
//     max_event_delay − FoldMargin (contest.UserWindow.Fold); a prune visits
//     only the windows with such candidates (prune_due.go).
//   - Seen event ids are bucketed by their ts (seenBucket); a bucket older
//     than stream time − the largest max_event_delay − FoldMargin goes: a
//     duplicate carries its original's ts, so it is late in every contest.
//   - A user window whose end + lateness + FinishedWindows has passed is
//     dropped (FinishedWindows > 0 only; replay keeps everything;
//     prune_free.go).

// PruneOptions tune the engine's pruning; the zero value folds with the
// defaults and never frees finished windows.
type PruneOptions struct {
	// FinishedWindows frees a window's user state this long after its end +
	// lateness (retention.finished_windows); 0 keeps it for ever.
	FinishedWindows time.Duration
	// FoldMargin is held back beyond max_event_delay against JetStream
	// timestamps that step back a little (a leader change); default 5s.
	FoldMargin time.Duration
	// Every is the stream time between two prunes of a partition; default
	// a tenth of the smallest max_event_delay, within [100ms, 1m].
	Every time.Duration
	// OnFold, when set, is called after a prune of partition p that folded
	// candidates (tests; on the goroutine applying events).
	OnFold func(p, folded int)
	// OnMissionFreed, when set, is called after a prune of a partition for
	// each mission window whose users' state it freed (the scorer then drops
	// the window's MISSION_PROGRESS keys; on the goroutine applying events).
	OnMissionFreed func(mission string, window int64)
}

// seenBucket is the width of a seen-id bucket (by event ts).
const seenBucket = int64(10 * time.Second)

// SetPruning sets the engine's pruning options (before the first Apply).
func (e *Engine) SetPruning(p PruneOptions) {
	if p.FoldMargin <= 0 {
		p.FoldMargin = 5 * time.Second
	}
	e.prune = p
}

// maybePrune prunes ps when stream time moved on by the prune interval.
func (e *Engine) maybePrune(ps *partState, now time.Time) {
	if now.After(e.now) {
		e.now = now
	}
	if !ps.pruned.IsZero() && e.now.Sub(ps.pruned) < e.pruneEvery() {
		return
	}
	ps.pruned = e.now
	e.prunePart(ps, e.now)
}

// PruneAll prunes every partition at the engine's stream time (for idle
// partitions, which prune nothing by themselves).
func (e *Engine) PruneAll() {
	if e.now.IsZero() {
		return
	}
	for _, ps := range e.parts {
		ps.pruned = e.now
		e.prunePart(ps, e.now)
	}
}

func (e *Engine) pruneEvery() time.Duration {
	if e.prune.Every > 0 {
		return e.prune.Every
	}
	d := time.Minute
	for _, c := range e.rules.All() {
		d = min(d, c.EventDelay()/10)
	}
	if lo, _ := e.missionDelays(); lo > 0 {
		d = min(d, lo/10)
	}
	return max(d, 100*time.Millisecond)
}

// prunePart frees finished windows, folds and drops old seen ids. It visits
// only the windows due (prune_due.go, prune_free.go).
func (e *Engine) prunePart(ps *partState, now time.Time) {
	margin := e.prune.FoldMargin
	e.freeFinished(ps, now)
	folded := 0
	for _, c := range e.rules.All() {
		q := ps.due[c.ID]
		if q == nil {
			continue
		}
		upTo := floorDivI(now.Add(-c.EventDelay()-margin).UnixNano(), 1e9) * 1e9
		folded += q.prune(upTo, func(fn func(*contest.WindowState)) {
			ps.users.each(func(n *userWin) {
				for ; n != nil; n = n.next {
					if n.st.Contest().ID == c.ID {
						fn(&n.st)
					}
				}
			})
		})
	}
	folded += e.pruneMissions(ps, now) // missions_prune.go
	if folded > 0 && e.prune.OnFold != nil {
		defer e.prune.OnFold(ps.id, folded)
	}
	_, maxDelay := e.missionDelays() // a duplicate must stay one for missions too
	for _, c := range e.rules.All() {
		maxDelay = max(maxDelay, c.EventDelay())
	}
	ps.dropSeen(floorDivI(now.Add(-maxDelay-margin).UnixNano(), seenBucket))
}

// dropSeen forgets the seen ids of the buckets before horizon. A Go map
// never gives back the room of deleted entries, so when a prune removed more
// ids than remain (after a burst, or once traffic stops) the rest move to a
// map of their own size and the old table is freed.
func (ps *partState) dropSeen(horizon int64) {
	dropped := 0
	for b, ids := range ps.seenByTS {
		if b >= horizon {
			continue
		}
		for _, id := range ids.ids {
			delete(ps.seen, id)
		}
		dropped += len(ids.ids)
		delete(ps.seenByTS, b)
		if ids == ps.seenCur {
			ps.seenCur = nil
		}
	}
	if dropped > len(ps.seen) {
		seen := make(map[string]struct{}, len(ps.seen))
		for id := range ps.seen {
			seen[id] = struct{}{}
		}
		ps.seen = seen
	}
}

// finished reports whether the window of c starting at start (unix seconds)
// is past end + lateness + FinishedWindows at stream time now.
func (e *Engine) finished(c *contest.Contest, start int64, now time.Time) bool {
	if e.prune.FinishedWindows <= 0 {
		return false
	}
	win, ok := c.WindowAt(time.Unix(start, 0))
	if !ok {
		return false
	}
	return now.After(win.End.Add(c.Lateness + e.prune.FinishedWindows))
}

// WindowFinished reports whether, at the engine's stream time, the window
// is past its end + lateness + FinishedWindows (its state is freed).
func (e *Engine) WindowFinished(c *contest.Contest, start int64) bool {
	return e.finished(c, start, e.now)
}

// StateSize counts what the engine holds: seen ids, user windows and
// candidate events (for the state-growth test and metrics).
func (e *Engine) StateSize() (seen, windows, candidates int) {
	for _, ps := range e.parts {
		seen += len(ps.seen)
		windows += ps.windows
		ps.eachWindow(func(_ uwKey, uw *contest.WindowState) { candidates += uw.Len() })
	}
	return seen, windows, candidates
}

func floorDivI(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
