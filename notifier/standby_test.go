package notifier

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/internal/testkit"
)

// TestStandbyTakesOverWithoutResending: two notifiers follow the same ticks,
// one active, one standby (Options.Active). Only the active one publishes;
// when the roles swap, the new active one sends only what changed since,
// with moved counted from the last message the subject carried.
func TestStandbyTakesOverWithoutResending(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	var aActive atomic.Bool
	aActive.Store(true)
	opts := func(active func() bool) Options {
		return Options{Interval: 10 * time.Millisecond, OvertakenInterval: 10 * time.Millisecond, Active: active}
	}
	a := startNotifier(t, st.NC, opts(aActive.Load))
	b := startNotifier(t, st.NC, opts(func() bool { return !aActive.Load() }))
	both := func(d []aggregator.BoardDelta) {
		a.OnTick(d)
		b.OnTick(d)
	}
	both(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	rec.wait(subjAlice, 1)
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := testkit.CounterValue(b.m.Standby); got < 2 {
			return fmt.Errorf("standby recorded %v messages, want its rank and top", got)
		}
		return nil
	})
	rec.quiet(subjAlice, 1, 50*time.Millisecond)
	rec.quiet(subjTop, 1, 0)

	aActive.Store(false) // the lease moves to b
	both(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, []string{"bob"}, "alice"))
	m := rec.wait(subjAlice, 2)[1].rank
	if *m.Pos != 2 || m.Moved != -1 {
		t.Fatalf("after the takeover alice got %+v, want pos 2 moved -1", m)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := testkit.CounterValue(a.m.Standby); got < 3 {
			return fmt.Errorf("the old holder recorded %v messages as a standby, want alice's, bob's and the top", got)
		}
		return nil
	})
	// The same board again: nothing changed since b's messages.
	both(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, nil, "alice", "bob"))
	rec.quiet(subjAlice, 2, 100*time.Millisecond)
	rec.quiet(subjBob, 1, 0)
	rec.quiet(subjTop, 2, 0)
}
