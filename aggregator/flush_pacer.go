package aggregator

import "time"

// Adaptive coalescing of SCORES writes. A worker keeps one pending standing
// per subject and publishes them every flush; the longer it waits, the more
// changes of the same (board, user) fold into one SCORES message, and each
// message costs JetStream a store and a delivery as an event does. Under load
// the pacer stretches the interval (doubling, up to maxFlush); as soon as an
// interval sees less than busyRate events per second it returns to the
// configured FlushInterval, so a quiet scorer publishes as promptly as before.
// A worker behind its input (at least behindQueued events waiting at
// behindTicks ticks in a row) is busy too, whatever its rate: on a machine short of CPU the rate falls
// below busyRate exactly when saving SCORES writes matters most, and a
// worker that is behind delays its standings by more than the interval
// anyway.
// Only a worker that is behind stretches up to maxFlush; one that keeps up
// with a busy rate stretches up to busyMaxFlush (a hold of 400 ms alone
// exceeded the 250 ms event → push budget of issue 14 at 10k ev/s, while a
// worker that keeps up gains little by waiting longer: at 10k ev/s over 20k
// users a (board, user) sees 0.5 events a second, so 400 ms folds hardly
// more than 100 ms does).
// One tick with a backlog is not "behind": the scorer's input arrives in
// fetched batches, so at 10k ev/s a worker that keeps up often has a batch
// of a few hundred events waiting at a tick and none at the next; counting
// that as behind held its standings 400 ms (stage_scored p99 ≈ 430 ms in
// the quiet 10k-subscriber push runs). A worker that is behind still has
// a backlog at the next tick.
// maxFlush stays well inside the API's 1 s staleness budget (the ranker's
// 100 ms tick and the Redis write come after it).
const (
	defaultMaxFlush = 400 * time.Millisecond
	// busyMaxFlush: the longest interval of a worker that is busy by its
	// rate but keeps up with its input (at least the minimum).
	busyMaxFlush = 100 * time.Millisecond
	// busyRate: events per second of one worker above which standings are
	// held longer. Below it SCORES writes are cheap whatever the interval.
	busyRate = 1000
	// maxPending flushes early when this many subjects are pending (bounds
	// the worker's memory whatever the interval).
	maxPending = 1 << 15
	// behindQueued: events waiting in a worker's input at behindTicks
	// consecutive ticks that make it busy (a sixteenth of its 4096-event
	// queue).
	behindQueued = 256
	behindTicks  = 2
)

// flushPacer decides, at every tick of the configured FlushInterval, whether
// the pending standings are published now: when the current interval is over,
// or at once when the tick saw no event (the scorer is idle: nothing gains by
// waiting, and a test or a quiet board sees its standings within two ticks).
type flushPacer struct {
	min, max time.Duration
	cur      time.Duration
	events   int       // handled since the last flush
	ticked   int       // handled since the last tick
	since    time.Time // last flush
	backlog  int       // consecutive ticks that saw behindQueued waiting
	behind   bool      // backlog reached behindTicks since the last flush
}

func newFlushPacer(min, max time.Duration, now time.Time) flushPacer {
	if max < min {
		max = min
	}
	return flushPacer{min: min, max: max, cur: min, since: now}
}

// handled counts one event.
func (p *flushPacer) handled() { p.events++; p.ticked++ }

// queued records, at a tick, how many events wait in the worker's input.
func (p *flushPacer) queued(n int) {
	if n < behindQueued {
		p.backlog = 0
		return
	}
	p.backlog++
	if p.backlog >= behindTicks {
		p.behind = true
	}
}

// tick reports whether to flush at this tick (then call flushed).
func (p *flushPacer) tick(now time.Time) bool {
	idle := p.ticked == 0
	p.ticked = 0
	// Half a tick of slack: a tick a little early still ends the interval.
	return idle || now.Sub(p.since) >= p.cur-p.min/2
}

// flushed records a flush at now and sets the next interval from the rate of
// the one that ended.
func (p *flushPacer) flushed(now time.Time) {
	el := now.Sub(p.since)
	busy := p.behind || (el > 0 && float64(p.events) >= busyRate*el.Seconds())
	ceil := p.max
	if !p.behind {
		ceil = max(p.min, min(busyMaxFlush, p.max))
	}
	switch {
	case !busy:
		p.cur = p.min
	case p.cur < ceil:
		p.cur = min(2*p.cur, ceil)
	default:
		p.cur = ceil
	}
	p.events, p.since, p.behind = 0, now, false
}
