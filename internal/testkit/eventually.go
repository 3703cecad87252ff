package testkit

import (
	"testing"
	"time"
)

// PollInterval is how often Eventually tries again.
const PollInterval = 10 * time.Millisecond

// Eventually calls cond until it returns nil, and fails the test with cond's
// last error when that has not happened within d. The error says why the
// condition does not hold yet ("board has 3 entries, want 5"), so the failure
// tells what was seen last.
func Eventually(t testing.TB, d time.Duration, cond func() error) {
	t.Helper()
	if err := Poll(d, cond); err != nil {
		t.Fatalf("not within %s: %v", d, err)
	}
}

// Poll calls cond until it returns nil and returns nil, or returns cond's
// last error once d has passed. For tests that must not stop at the first
// failure (benchmarks, helpers goroutines).
func Poll(d time.Duration, cond func() error) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		<-tick.C
	}
}
