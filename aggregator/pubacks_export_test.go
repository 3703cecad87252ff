package aggregator

import (
	"context"
	"syscall"
	"time"
)

// PublishesAcked, for tests, waits until every publish of the scorer's
// workers has its answer (they are not async publishes of the JetStream
// context: PublishAsyncComplete does not wait for them).
func (s *Scorer) PublishesAcked(ctx context.Context) error { return s.publishesAcked(ctx) }

// ProcessCPU, for benchmarks, is the process's user + system CPU time so far.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
