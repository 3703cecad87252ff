package aggregator

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// The GC target while a scorer catches up (docs/constant-memory.md,
// "Catch-up and the GC").
//
// A catch-up applies events as fast as it can read them and allocates as it
// goes; with the default GC target (GOGC 100) a collection runs each time
// the heap doubles, and the whole state is the heap: the collector marks
// the state again and again (≈ 15–20 % of a catch-up's CPU, BENCHMARKS.md).
// While a scorer catches up, the GC target is raised to
// ScorerOptions.CatchupGCPercent, bounded by a soft memory limit
// (runtime/debug.SetMemoryLimit), and both are restored once it is live.
// The setting is process-wide: it is held while any scorer of the process
// catches up, and restored when the last one is live.

// DefaultCatchupGCPercent is the GC target while catching up (config
// aggregator.catchup_gc_percent). Measured (BENCHMARKS.md "catch-up GC"):
// 400 removes most of the collector's share of a catch-up; the peak is held
// by the memory limit.
const DefaultCatchupGCPercent = 400

// catchupLimitShare is the share of the memory available to the process
// (cgroup limit, else physical memory) taken as the soft memory limit while
// catching up, when aggregator.catchup_memory_limit is not set.
const catchupLimitShare = 0.5

// catchupGCTick is how often a scorer checks whether it catches up, and how
// often the memory limit follows the live heap while it does.
const catchupGCTick = 100 * time.Millisecond

// gcRaise is the process's one raised GC setting: its holders and what it
// restores.
type gcRaise struct {
	mu        sync.Mutex
	holders   int
	prevPct   int
	prevLimit int64
	bound     int64 // the memory limit asked for (never above prevLimit)
	limit     int64 // the memory limit set now
}

var catchupGC gcRaise

// raise sets the GC target to pct with the soft memory limit bound, unless
// this process already has them raised (then it only counts a holder). It
// reports whether the caller holds the setting (then it must lower it).
// Nothing is raised when the GC is off or already at pct or above.
func (g *gcRaise) raise(pct int, bound int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holders > 0 {
		g.holders++
		return true
	}
	if cur := gcPercent(); cur < 0 || cur >= pct {
		return false // GC off, or already at pct or above: left alone
	}
	prev := debug.SetGCPercent(pct)
	g.holders, g.prevPct = 1, prev
	g.prevLimit = debug.SetMemoryLimit(-1)
	g.bound = min(bound, g.prevLimit)
	g.limit = 0
	g.followLocked()
	return true
}

// follow keeps the memory limit at max(bound, the heap the GC would aim at
// with the previous target): the limit never makes the collector work
// harder than it would without the raise.
func (g *gcRaise) follow() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holders > 0 {
		g.followLocked()
	}
}

func (g *gcRaise) followLocked() {
	limit := g.bound
	if live := liveHeap(); live > 0 {
		// The heap goal of the previous target, plus an eighth and 64 MiB
		// for what the limit counts beyond the heap (stacks, metadata,
		// fragmentation).
		goal := live + live*uint64(g.prevPct)/100
		floor := goal + goal/8 + 64<<20
		if floor < math.MaxInt64 && int64(floor) > limit {
			limit = int64(floor)
		}
	}
	if limit > g.prevLimit {
		limit = g.prevLimit // an operator's GOMEMLIMIT is never raised
	}
	if limit != g.limit {
		debug.SetMemoryLimit(limit)
		g.limit = limit
	}
}

// lower drops one holder; the last one restores the previous setting.
func (g *gcRaise) lower() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holders == 0 {
		return
	}
	g.holders--
	if g.holders == 0 {
		debug.SetMemoryLimit(g.prevLimit)
		debug.SetGCPercent(g.prevPct)
	}
}

var (
	liveMu     sync.Mutex
	liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	gogcSample = []metrics.Sample{{Name: "/gc/gogc:percent"}}
)

// gcPercent is the GC target now (GOGC; negative: off).
func gcPercent() int {
	liveMu.Lock()
	defer liveMu.Unlock()
	metrics.Read(gogcSample)
	if gogcSample[0].Value.Kind() != metrics.KindUint64 {
		return -1
	}
	v := gogcSample[0].Value.Uint64()
	if v > math.MaxInt32 {
		return -1
	}
	return int(v)
}

// liveHeap is the heap marked live by the last GC (0: unknown).
func liveHeap() uint64 {
	liveMu.Lock()
	defer liveMu.Unlock()
	metrics.Read(liveSample)
	if liveSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return liveSample[0].Value.Uint64()
}

// catchupMemoryBound is the soft memory limit while catching up: set
// (bytes), or catchupLimitShare of the memory available to the process (0:
// unknown, then the GC target is not raised).
func catchupMemoryBound(set int64) int64 {
	if set > 0 {
		return set
	}
	avail := availableMemory()
	if avail <= 0 {
		return 0
	}
	return int64(float64(avail) * catchupLimitShare)
}

// availableMemory is the cgroup (v2, then v1) memory limit when there is
// one, else the machine's MemTotal; 0 when neither is known.
func availableMemory() int64 {
	total := memTotal()
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
		if err != nil || v <= 0 { // "max": no limit
			continue
		}
		if total == 0 || v < total {
			return v
		}
	}
	return total
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) >= 2 && string(fields[0]) == "MemTotal:" {
			kb, err := strconv.ParseInt(string(fields[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// runCatchupGC holds the raised GC target while the scorer catches up
// (single mode: until it is live; shared mode: whenever a partition it
// holds catches up) and gives it back when it is live or stops.
func (s *Scorer) runCatchupGC(ctx context.Context) {
	pct := s.opts.CatchupGCPercent
	if pct == 0 {
		pct = DefaultCatchupGCPercent
	}
	if pct < 0 {
		return // off
	}
	bound := catchupMemoryBound(s.opts.CatchupMemoryLimit)
	if bound <= 0 {
		s.log.Info("catch-up GC target not raised: no memory bound known (set aggregator.catchup_memory_limit)")
		return
	}
	held := false
	defer func() {
		if held {
			catchupGC.lower()
		}
	}()
	t := time.NewTicker(catchupGCTick)
	defer t.Stop()
	for {
		catching := !s.CaughtUp()
		switch {
		case catching && !held:
			held = catchupGC.raise(pct, bound)
			if held {
				s.log.Debug("catching up: GC target raised", "gc_percent", pct, slog.Int64("memory_limit", bound))
			}
		case !catching && held:
			catchupGC.lower()
			held = false
			s.log.Debug("live: GC target restored")
		case held:
			catchupGC.follow()
		}
		if !catching && s.shared == nil {
			return // single mode: live for good
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
