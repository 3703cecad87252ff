package aggregator

import (
	"context"
	"os"
	"sync"
	"time"
)

// The GC target of a running pipeline process.
//
// A live pipeline allocates much short-lived garbage per event (the NATS
// client's message and its data copy, the server's stored copies, the
// engine's parse, the SCORES messages) and holds its state: with the
// default GC target (GOGC 100) a collection runs each time the heap
// doubles and marks the whole state again. TuneLiveGC raises the target to
// LiveGCPercent for the process's life, under the same bounded setting as
// a catch-up (catchup_gc.go): a soft memory limit of liveLimitShare of the
// memory available, never below what GOGC 100 would let the heap reach
// (it follows the live heap every liveGCTick), an operator's GOMEMLIMIT
// never raised, and an operator's GOGC (or GOGC=off) left alone.

// LiveGCPercent is the GC target of `rankstream run` (BENCHMARKS.md
// "Doors: the live process's GC target", doors3, 2026-12-04).
const LiveGCPercent = 400

// liveLimitShare is the share of the memory available to the process taken
// as its soft memory limit while it runs with LiveGCPercent.
const liveLimitShare = 0.5

// liveGCTick is how often the memory limit follows the live heap.
const liveGCTick = time.Second

// OperatorGOGC reports whether the operator set the GC target (the GOGC
// environment variable): then the live and the replay settings leave it
// alone (a catch-up still raises a lower one while it lasts).
func OperatorGOGC() bool { return os.Getenv("GOGC") != "" }

// TuneLiveGC sets the process's GC target for a running pipeline until ctx
// ends or restore is called (restore waits for the follower to stop and
// puts the previous setting back; it may be called more than once). It
// holds the process's one raised setting (catchupGC): a scorer catching up
// meanwhile counts as a further holder and keeps LiveGCPercent. Nothing is
// changed when the operator set GOGC, when the GC is off or already at
// LiveGCPercent or above, or when no memory bound is known.
func TuneLiveGC(ctx context.Context) (restore func()) {
	if OperatorGOGC() {
		return func() {}
	}
	return tuneLiveGC(ctx, MemoryBound(liveLimitShare), liveGCTick)
}

// tuneLiveGC is TuneLiveGC with the memory bound and the follower's tick
// given.
func tuneLiveGC(ctx context.Context, bound int64, tick time.Duration) (restore func()) {
	if bound <= 0 || !catchupGC.raise(LiveGCPercent, bound) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer catchupGC.lower()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				catchupGC.follow()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}
