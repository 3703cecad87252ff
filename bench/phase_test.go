package bench

import (
	"context"
	"runtime/pprof"
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

// phase runs f with the pprof label door=name (inherited by every goroutine
// f starts, the embedded server's included: `go tool pprof -tagfocus
// door=nats` shows one door's share of a profile) and returns the process
// CPU time f took per event of n.
func phase(ctx context.Context, name string, n int, f func(context.Context)) (cpuPerEvent time.Duration) {
	c0 := cpuTime()
	pprof.Do(ctx, pprof.Labels("door", name), f)
	return (cpuTime() - c0) / time.Duration(n)
}
