package aggregator

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The live process's GC target: raised under the bound, kept while a
// catch-up also holds it, restored by the last holder.
func TestTuneLiveGCRaisesAndRestores(t *testing.T) {
	keepGC(t)
	t.Setenv("GOGC", "")
	if catchupGC.holders != 0 {
		t.Skip("a scorer of this process holds the GC setting")
	}
	restore := tuneLiveGC(context.Background(), 1<<40, time.Hour)
	if got := gcPercent(); got != LiveGCPercent {
		t.Fatalf("GC percent %d, want %d", got, LiveGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got < 1<<40 || got == math.MaxInt64 {
		t.Fatalf("memory limit %d, want the bound 1<<40 (or the live-heap floor above it)", got)
	}
	if !catchupGC.raise(DefaultCatchupGCPercent, 1<<30) { // a scorer catching up meanwhile
		t.Fatal("a catch-up could not hold the live setting")
	}
	restore()
	restore() // twice: nothing more happens
	if got := gcPercent(); got != LiveGCPercent {
		t.Fatalf("GC percent %d while a catch-up still holds it, want %d", got, LiveGCPercent)
	}
	catchupGC.lower()
	if got := gcPercent(); got != 100 {
		t.Fatalf("GC percent %d after the last holder, want 100 back", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit %d after the last holder, want none back", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	restore = tuneLiveGC(ctx, 1<<40, time.Hour)
	cancel() // the process's context ends: the setting goes back
	gcWaitFor(t, func() bool { return gcPercent() == 100 })
	restore()
}

// An operator's GOGC, GC off, or a target already as high leave the
// process alone; an operator's GOMEMLIMIT is never raised.
func TestTuneLiveGCKeepsOperatorSettings(t *testing.T) {
	keepGC(t)
	if catchupGC.holders != 0 {
		t.Skip("a scorer of this process holds the GC setting")
	}
	t.Setenv("GOGC", "200")
	debug.SetGCPercent(200)
	TuneLiveGC(context.Background())()
	if got := gcPercent(); got != 200 {
		t.Fatalf("GC percent %d with GOGC=200 set by the operator", got)
	}
	t.Setenv("GOGC", "")
	for _, pct := range []int{-1, LiveGCPercent, 1000} {
		debug.SetGCPercent(pct)
		restore := tuneLiveGC(context.Background(), 1<<40, time.Hour)
		if got := gcPercent(); got != pct {
			t.Fatalf("GC percent %d, want %d left alone", got, pct)
		}
		restore()
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 40) // GOMEMLIMIT
	restore := tuneLiveGC(context.Background(), 1<<50, time.Hour)
	if got := debug.SetMemoryLimit(-1); got > 1<<40 {
		t.Fatalf("memory limit raised above the operator's to %d", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("memory limit %d after, want the operator's back", got)
	}
}

// The memory limit follows the live heap: never below what GOGC 100 would
// let the heap reach, however low the bound.
func TestTuneLiveGCFollowsLiveHeap(t *testing.T) {
	keepGC(t)
	t.Setenv("GOGC", "")
	if catchupGC.holders != 0 {
		t.Skip("a scorer of this process holds the GC setting")
	}
	restore := tuneLiveGC(context.Background(), 1, 10*time.Millisecond)
	defer restore()
	const live = 256 << 20
	held := make([]byte, live)
	for i := range held {
		held[i] = byte(i)
	}
	runtime.GC()
	gcWaitFor(t, func() bool { return debug.SetMemoryLimit(-1) >= 2*live })
	runtime.KeepAlive(held)
}
