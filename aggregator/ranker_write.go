package aggregator

import (
	"context"
	"time"
)

// Sink writes off the ranker goroutine. A tick's write waits for JetStream
// to acknowledge the RANKS feed and for Redis to answer (tens of ms at 10k
// events a second, hundreds on a starved machine); while the ranker waited
// for them in place it applied no SCORES, so every standing that arrived
// meanwhile waited for the write to end, and the next tick was spaced by
// three times the whole tick (ranker_sched.go) to leave time for applying.
// Now the Run loop collects a tick's batch on its goroutine and hands the
// write to a goroutine of its own: the ranker applies SCORES during the
// write, the next tick starts once the write ended (one write in flight:
// each sink still takes one batch at a time, in tick order) and is spaced
// by the ranker's own cost, the collect (tickSched gets collect cost and
// write end). A batch with a board in full is written in place as before:
// its Entries walk the ranker's tree, valid only while nothing changes it.
// The batch of an async write is the sinks' until they return: collect
// builds fresh slices and maps for it, and the keys in it are copies
// (board.Tree.Get, Upsert, Delete).

// tickWrite is the write in flight (done nil: none). Ranker goroutine.
type tickWrite struct {
	done    chan []error // the sinks' answers, parallel to per
	t0      time.Time    // when the tick started
	collect time.Duration
	batch   *Batch
	per     []*Batch
	// owed: a tick came due while the write was in flight.
	owed bool
}

// timedTick runs a tick from the Run loop: written off the ranker goroutine
// unless a board goes in full; while a write is in flight it is owed and
// runs when that write ended (written).
func (r *Ranker) timedTick(ctx context.Context, sched *tickSched) {
	if r.wr.done != nil {
		r.wr.owed = true
		return
	}
	t0 := time.Now()
	batch, per := r.prepareTick()
	if hasFull(per) {
		r.settle(t0, batch, per, r.writeSinks(ctx, per))
		sched.ticked(t0, time.Now())
		return
	}
	done := make(chan []error, 1)
	r.wr = tickWrite{done: done, t0: t0, collect: time.Since(t0), batch: batch, per: per}
	go func() { done <- r.writeSinks(ctx, per) }()
}

// written settles the write in flight (errs: its answers) and arms the next
// tick when one is owed or armed: MinTick, or three times the collect,
// after the write ended. Ranker goroutine.
func (r *Ranker) written(sched *tickSched, errs []error) {
	w := r.wr
	r.wr = tickWrite{}
	r.settle(w.t0, w.batch, w.per, errs)
	now := time.Now()
	sched.ticked(now.Add(-w.collect), now)
	if w.owed || sched.armed {
		sched.rearm(now)
	}
}

// writeDone is the channel that delivers the in-flight write's answers
// (nil, never ready, when none is in flight).
func (r *Ranker) writeDone() <-chan []error { return r.wr.done }

// awaitWrite waits for the write in flight, if any, and settles it (before
// a sink is asked to release a window: Release must not race a Write).
func (r *Ranker) awaitWrite(sched *tickSched) {
	if r.wr.done != nil {
		r.written(sched, <-r.wr.done)
	}
}

// hasFull reports whether some sink's batch holds a board in full.
func hasFull(per []*Batch) bool {
	for _, b := range per {
		for i := range b.Boards {
			if b.Boards[i].Full {
				return true
			}
		}
	}
	return false
}
