package replay_test

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/replay"
)

// TestTuneGCBoundsMemory: the lazier collector comes with a soft memory
// limit below the memory available, a lower limit is kept, and restore
// puts the previous setting back.
func TestTuneGCBoundsMemory(t *testing.T) {
	t.Setenv("GOGC", "")
	prevPct := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		debug.SetGCPercent(prevPct)
		debug.SetMemoryLimit(prevLimit)
	}()
	bound := aggregator.MemoryBound(1)
	if bound <= 0 {
		t.Skip("the machine's memory is not known here")
	}
	restore := replay.TuneGC()
	if got := debug.SetGCPercent(-1); got != replay.GCPercent {
		t.Fatalf("GC percent %d, want %d", got, replay.GCPercent)
	}
	debug.SetGCPercent(replay.GCPercent)
	if got := debug.SetMemoryLimit(-1); got <= 0 || got >= bound {
		t.Fatalf("memory limit %d, want under the available %d", got, bound)
	}
	restore()
	if got := debug.SetGCPercent(-1); got != 100 {
		t.Fatalf("restored GC percent %d, want 100", got)
	}
	debug.SetGCPercent(100)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("restored memory limit %d, want none", got)
	}

	debug.SetMemoryLimit(1 << 20) // an operator's lower limit is kept
	restore = replay.TuneGC()
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Fatalf("memory limit %d, want the lower 1 MiB kept", got)
	}
	restore()
}
