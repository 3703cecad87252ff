package replay

import (
	"runtime/debug"

	"github.com/rankstream/rankstream/aggregator"
)

// GCPercent is the GOGC that the replay and simulate commands run with: a
// replay allocates much short-lived garbage (decoded events) and holds
// little beyond its engines' state, so a lazy collector buys throughput
// (BENCHMARKS.md, "replay", 2026-12-03: 400 → 1000 took the ratio to a
// plain read from ≈ 0.63 to ≈ 0.70) for memory, which gcLimitShare bounds.
const GCPercent = 1000

// gcLimitShare is the share of the memory available to the process taken
// as the soft memory limit while replaying: near it the collector runs as
// often as it must, so a replay of a large stream does not run out of
// memory because of GCPercent.
const gcLimitShare = 0.5

// TuneGC sets the process's collector for a replay: GCPercent, with a soft
// memory limit of gcLimitShare of the available memory (a lower limit the
// process already has, e.g. GOMEMLIMIT, is kept). An operator's GOGC is
// left alone. It returns what restores the previous setting.
func TuneGC() (restore func()) {
	if aggregator.OperatorGOGC() {
		return func() {}
	}
	prevPct := debug.SetGCPercent(GCPercent)
	prevLimit := debug.SetMemoryLimit(-1)
	if b := aggregator.MemoryBound(gcLimitShare); b > 0 && b < prevLimit {
		debug.SetMemoryLimit(b)
	}
	return func() {
		debug.SetGCPercent(prevPct)
		debug.SetMemoryLimit(prevLimit)
	}
}
