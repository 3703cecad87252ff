package bench

import (
	"bytes"
	"context"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the benchmark process has used:
// the embedded servers, the pipeline and the load generator all run in it
// (redis-server does not: the sorted-set baseline's Redis work is outside).
// Per-event CPU is far steadier than wall-clock rates on a loaded machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gcTime is the CPU time the runtime estimates its collector has used
// (marking, assists, sweeping, pauses), process-wide, less its marking on
// idle Ps (spare time). The runtime times its workers by the wall clock: on
// a machine with more runnable threads than cores it overstates (a worker
// the OS did not run still counts), so read it quiet, or take a CPU
// profile's gcBgMarkWorker instead.
func gcTime() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/gc/mark/idle:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 || s[1].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration((s[0].Value.Float64() - s[1].Value.Float64()) * 1e9)
}

// rss is the process's resident set (bytes; 0: unknown).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// phaseCost is what one phase cost the process.
type phaseCost struct {
	cpu, gc time.Duration // per event
	peakRSS uint64        // bytes, sampled every 50 ms
}

// phase runs f with the pprof label door=name (inherited by every goroutine
// f starts, the embedded server's included: `go tool pprof -tagfocus
// door=nats` shows one door's share of a profile) and returns the process
// CPU time and the collector's share of it per event of n, and the peak
// resident set while f ran.
func phase(ctx context.Context, name string, n int, f func(context.Context)) phaseCost {
	stop, peak := make(chan struct{}), make(chan uint64)
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		m := rss()
		for {
			select {
			case <-stop:
				peak <- max(m, rss())
				return
			case <-t.C:
				m = max(m, rss())
			}
		}
	}()
	c0, g0 := cpuTime(), gcTime()
	pprof.Do(ctx, pprof.Labels("door", name), f)
	c, g := cpuTime()-c0, gcTime()-g0
	close(stop)
	return phaseCost{cpu: c / time.Duration(n), gc: g / time.Duration(n), peakRSS: <-peak}
}
