package aggregator

import (
	"testing"
	"time"
)

// TestFlushPacer drives the pacer tick by tick (no clock: the times are
// given): under a steady busy rate of a worker that keeps up the interval
// between flushes doubles up to busyMaxFlush; a quiet interval brings it
// back to the minimum; a tick with no event flushes at once.
func TestFlushPacer(t *testing.T) {
	const tick = 50 * time.Millisecond
	now := time.Unix(1_700_000_000, 0)
	p := newFlushPacer(tick, 400*time.Millisecond, now)
	run := func(perTick int) int { return untilFlush(t, &p, &now, tick, perTick, 0) }
	busy := int(busyRate*tick.Seconds()) + 1 // per tick
	for i, want := range []int{1, 2, 2, 2, 2, 2} {
		if got := run(busy); got != want {
			t.Fatalf("busy interval %d: flushed after %d ticks, want %d", i, got, want)
		}
	}
	if got := run(busy / 4); got != 2 {
		t.Fatalf("first quiet interval: flushed after %d ticks, want 2 (set by the busy one before)", got)
	}
	if got := run(busy / 4); got != 1 {
		t.Fatalf("after a quiet interval: flushed after %d ticks, want 1", got)
	}
	for range 3 {
		run(busy)
	}
	if p.cur != busyMaxFlush {
		t.Fatalf("interval %v after busy flushes, want %v", p.cur, busyMaxFlush)
	}
	// Busy, then the traffic stops: the first tick without an event flushes.
	for range 2 {
		p.handled()
	}
	now = now.Add(tick)
	if p.tick(now) {
		t.Fatal("flushed one tick into a 2-tick interval with events")
	}
	now = now.Add(tick)
	if !p.tick(now) {
		t.Fatal("a tick without events did not flush")
	}
	p.flushed(now)

	// A maximum below the minimum is the minimum: never longer than asked.
	q := newFlushPacer(tick, tick/2, now)
	for range 1000 {
		q.handled()
	}
	q.flushed(now.Add(tick))
	if q.cur != tick {
		t.Fatalf("max < min: interval %v, want %v", q.cur, tick)
	}
}

// TestFlushPacerBehind: a worker behind its input (behindQueued events
// waiting at behindTicks ticks in a row) holds standings longer although
// its rate is below busyRate (a machine short of CPU); once it keeps up
// again the next interval is the minimum.
func TestFlushPacerBehind(t *testing.T) {
	const tick = 50 * time.Millisecond
	now := time.Unix(1_700_000_000, 0)
	p := newFlushPacer(tick, 400*time.Millisecond, now)
	slow := int(busyRate*tick.Seconds()) / 4 // per tick: a quarter of busyRate
	run := func(queued int) int { return untilFlush(t, &p, &now, tick, slow, queued) }
	if got := run(behindQueued - 1); got != 1 {
		t.Fatalf("keeping up at a slow rate: flushed after %d ticks, want 1", got)
	}
	// The first tick with a backlog is not behind yet (behindTicks = 2).
	for i, want := range []int{1, 1, 2, 4, 8, 8} {
		if got := run(behindQueued); got != want {
			t.Fatalf("behind, interval %d: flushed after %d ticks, want %d", i, got, want)
		}
	}
	if got := run(0); got != 8 {
		t.Fatalf("first interval keeping up: flushed after %d ticks, want 8", got)
	}
	if got := run(0); got != 1 {
		t.Fatalf("keeping up again: flushed after %d ticks, want 1", got)
	}
}

// TestFlushPacerBusyAndBehind: a busy worker behind its input stretches up
// to the maximum; once it keeps up at the same busy rate the interval comes
// back to busyMaxFlush (the wait a worker that keeps up adds to every
// standing), not to the minimum.
func TestFlushPacerBusyAndBehind(t *testing.T) {
	const tick = 50 * time.Millisecond
	now := time.Unix(1_700_000_000, 0)
	p := newFlushPacer(tick, 400*time.Millisecond, now)
	busy := int(busyRate*tick.Seconds()) + 1 // per tick
	run := func(queued int) int { return untilFlush(t, &p, &now, tick, busy, queued) }
	// Busy by its rate from the first interval: 2 ticks, behind from the
	// second.
	for i, want := range []int{1, 2, 4, 8, 8} {
		if got := run(behindQueued); got != want {
			t.Fatalf("busy and behind, interval %d: flushed after %d ticks, want %d", i, got, want)
		}
	}
	if got := run(0); got != 8 {
		t.Fatalf("first interval keeping up: flushed after %d ticks, want 8 (set before)", got)
	}
	for i := range 3 {
		if got := run(0); got != 2 {
			t.Fatalf("busy, keeping up, interval %d: flushed after %d ticks, want 2", i, got)
		}
	}
}

// TestFlushPacerBatchedInput: a worker that keeps up but gets its input in
// fetched batches sees a backlog at every other tick (a batch just landed,
// then drained): it is not behind. At a slow rate it stays at the minimum,
// at a busy rate at busyMaxFlush, never at the maximum.
func TestFlushPacerBatchedInput(t *testing.T) {
	const tick = 50 * time.Millisecond
	for _, perTick := range []int{int(busyRate*tick.Seconds()) / 4, int(busyRate*tick.Seconds()) + 1} {
		now := time.Unix(1_700_000_000, 0)
		p := newFlushPacer(tick, 400*time.Millisecond, now)
		for n := 0; n < 200; n++ {
			for range perTick {
				p.handled()
			}
			p.queued(map[bool]int{true: 4 * behindQueued, false: 0}[n%2 == 0])
			now = now.Add(tick)
			if p.tick(now) {
				p.flushed(now)
			}
			if p.behind || p.cur > busyMaxFlush {
				t.Fatalf("%d events a tick, backlog every other tick: tick %d behind=%v interval %v", perTick, n, p.behind, p.cur)
			}
		}
		if want := map[bool]time.Duration{true: busyMaxFlush, false: tick}[perTick > int(busyRate*tick.Seconds())]; p.cur != want {
			t.Fatalf("%d events a tick: interval %v, want %v", perTick, p.cur, want)
		}
	}
}

// untilFlush feeds perTick events at each tick of p, with queued events
// waiting at each, until a flush, and returns the number of ticks it took.
func untilFlush(t *testing.T, p *flushPacer, now *time.Time, tick time.Duration, perTick, queued int) int {
	t.Helper()
	for n := 1; n <= 100; n++ {
		for range perTick {
			p.handled()
		}
		p.queued(queued)
		*now = now.Add(tick)
		if p.tick(*now) {
			p.flushed(*now)
			return n
		}
	}
	t.Fatal("no flush within 100 ticks")
	return 0
}
