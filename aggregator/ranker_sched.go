package aggregator

import "time"

// When the ranker writes a tick. A fixed Tick made every change wait half
// a tick on average before its board went to the sinks (and on to the
// live push); now a change on a quiet ranker is written MinTick after the
// previous tick at the earliest, and under load ticks are spaced by their
// own cost: the next one starts tickCostFactor × the last tick's duration
// after it ended (so writing takes at most about a quarter of the ranker's
// time), never later than Tick after the change — unless the tick itself
// took longer than Tick: then the next one waits as long as the last one
// took. The ranker applies SCORES on the goroutine that ticks, so
// back-to-back costly ticks (10k watched users' ranks in every delta, on a
// starved process: 0.5–1 s each) left it no time to apply standings and
// its input fell behind by seconds (BENCHMARKS.md, "Live push: both rows of
// issue 14"); now it always keeps at least half its time for them. The
// fixed Tick still runs for what is not a change (a board group gained, a
// regroup), spaced the same way (due). The Run loop writes a tick's sinks
// off its goroutine (ranker_write.go): there a tick's cost is its collect,
// and the next tick is spaced from the end of the write.
const (
	defaultMinTick = 10 * time.Millisecond
	tickCostFactor = 3
)

// tickSched arms a timer when changes arrive. Ranker goroutine only.
type tickSched struct {
	min, max time.Duration
	timer    *time.Timer
	armed    bool
	last     time.Time     // when the last tick ended
	cost     time.Duration // how long it took
}

func newTickSched(min, max time.Duration) *tickSched {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &tickSched{min: min, max: max, timer: t}
}

// C fires when a tick is due.
func (s *tickSched) C() <-chan time.Time { return s.timer.C }

// changed notes that standings were applied at now: a tick is armed unless
// one already is.
func (s *tickSched) changed(now time.Time) {
	if s.armed {
		return
	}
	s.timer.Reset(s.wait(now))
	s.armed = true
}

// due reports whether a tick of the fixed Tick may run at now; when it may
// not yet, the timer is armed for it.
func (s *tickSched) due(now time.Time) bool {
	if s.wait(now) == 0 {
		return true
	}
	s.changed(now)
	return false
}

// wait is how long a change at now waits for its tick.
func (s *tickSched) wait(now time.Time) time.Duration {
	gap := min(max(s.min, tickCostFactor*s.cost), max(s.max, s.cost))
	return max(s.last.Add(gap).Sub(now), 0)
}

// rearm restarts the wait of a tick owed or armed from now (after a write
// that ended later than the timer was armed for).
func (s *tickSched) rearm(now time.Time) {
	s.timer.Reset(s.wait(now))
	s.armed = true
}

// fired: the armed tick is running.
func (s *tickSched) fired() { s.armed = false }

// ticked records a tick that ran from start to end.
func (s *tickSched) ticked(start, end time.Time) { s.last, s.cost = end, end.Sub(start) }

// stop releases the timer.
func (s *tickSched) stop() { s.timer.Stop() }
