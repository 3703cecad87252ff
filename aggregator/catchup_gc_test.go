package aggregator

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// keepGC restores the process's GC target and memory limit after a test.
func keepGC(t *testing.T) {
	pct := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
}

func TestCatchupGCRaiseRestores(t *testing.T) {
	keepGC(t)
	var g gcRaise
	if !g.raise(400, 1<<40) {
		t.Fatal("not raised from GOGC 100")
	}
	if got := gcPercent(); got != 400 {
		t.Fatalf("GC percent %d while raised, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got < 1<<40 || got == math.MaxInt64 {
		t.Fatalf("memory limit %d while raised, want the bound 1<<40 (or the live-heap floor above it)", got)
	}
	if !g.raise(800, 1<<30) { // a second scorer: counted, the setting kept
		t.Fatal("second holder refused")
	}
	if got := gcPercent(); got != 400 {
		t.Fatalf("GC percent %d with two holders, want 400", got)
	}
	g.lower()
	if got := gcPercent(); got != 400 {
		t.Fatalf("GC percent %d after one of two holders left, want 400", got)
	}
	g.lower()
	if got := gcPercent(); got != 100 {
		t.Fatalf("GC percent %d after the last holder, want 100 back", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit %d after the last holder, want none back", got)
	}
	g.lower() // more lowers than raises: nothing happens
	if got := gcPercent(); got != 100 {
		t.Fatalf("GC percent %d after an extra lower, want 100", got)
	}
}

func TestCatchupGCKeepsOperatorSettings(t *testing.T) {
	keepGC(t)
	var g gcRaise
	debug.SetMemoryLimit(1 << 40)
	if !g.raise(400, 1<<50) {
		t.Fatal("not raised")
	}
	if got := debug.SetMemoryLimit(-1); got > 1<<40 {
		t.Fatalf("memory limit raised above the operator's to %d", got)
	}
	g.lower()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("memory limit %d after, want the operator's back", got)
	}
	for _, pct := range []int{-1, 400, 1000} { // GC off, or already as high: left alone
		debug.SetGCPercent(pct)
		if g.raise(400, 1<<40) {
			g.lower()
			t.Fatalf("raised from GOGC %d", pct)
		}
		if got := gcPercent(); got != pct {
			t.Fatalf("GC percent %d, want %d left alone", got, pct)
		}
	}
}

// A single-mode scorer holds the raised target until it is caught up, then
// gives it back and stops watching.
func TestCatchupGCUntilCaughtUp(t *testing.T) {
	keepGC(t)
	if catchupGC.holders != 0 {
		t.Skip("another scorer of this process holds the catch-up GC setting")
	}
	s := &Scorer{opts: ScorerOptions{CatchupMemoryLimit: 1 << 40}, log: slog.Default()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { s.runCatchupGC(ctx); close(done) }()
	gcWaitFor(t, func() bool { return gcPercent() == DefaultCatchupGCPercent })
	s.caughtUp.Store(true)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("still watching after caught up")
	}
	if got := gcPercent(); got != 100 {
		t.Fatalf("GC percent %d once caught up, want 100 back", got)
	}

	off := &Scorer{opts: ScorerOptions{CatchupGCPercent: -1}, log: slog.Default()}
	off.runCatchupGC(ctx) // returns at once, nothing changed
	if got := gcPercent(); got != 100 {
		t.Fatalf("GC percent %d with the knob off", got)
	}
}

func gcWaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
