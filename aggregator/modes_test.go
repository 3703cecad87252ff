package aggregator_test

import (
	"context"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
)

// scorerMode is one way of running the scorer, both reading EVENTS through
// aggregator.Lane: one process with one lane over the whole stream
// (single), or partition leases with a lane per partition (shared). The
// property, kill and cluster tests run in every mode.
type scorerMode struct {
	name     string
	instance string // "": single mode
}

var scorerModes = []scorerMode{{name: "single"}, {name: "shared", instance: "proc-a"}}

// options returns o for this mode (shared: the instance, a 3s lease TTL (a
// refresh must be answered within 1.5s: the race detector on a loaded
// machine is slower than that for 1s leases), and
// checkpoints, which shared mode needs).
func (m scorerMode) options(o aggregator.ScorerOptions) aggregator.ScorerOptions {
	if m.instance == "" {
		return o
	}
	if o.Instance == "" {
		o.Instance = m.instance
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 3 * time.Second
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 200 * time.Millisecond
	}
	return o
}

// forModes runs f as a subtest per scorer mode.
func forModes(t *testing.T, f func(t *testing.T, m scorerMode)) {
	for _, m := range scorerModes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// scorerUpToDate reports whether sc has applied everything EVENTS holds.
func scorerUpToDate(ctx context.Context, sc *aggregator.Scorer) bool {
	ok, err := sc.UpToDate(ctx)
	return err == nil && ok
}
