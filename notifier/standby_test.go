package notifier

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
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
	hb := waitFollowing(t, st.NC, b)
	both := func(d []aggregator.BoardDelta) {
		a.OnTick(d)
		b.OnTick(d)
	}
	both(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	rec.wait(subjAlice, 1)
	waitHeard(t, b, hb+2) // alice's rank and the top
	rec.quiet(subjAlice, 1, 50*time.Millisecond)
	rec.quiet(subjTop, 1, 0)
	if got := testkit.CounterValue(b.m.TakeoverUpdates); got != 0 {
		t.Fatalf("the standby queued %v updates", got)
	}

	aActive.Store(false) // the lease moves to b
	ha := waitFollowing(t, st.NC, a)
	both(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, []string{"bob"}, "alice"))
	m := rec.wait(subjAlice, 2)[1].rank
	if *m.Pos != 2 || m.Moved != -1 {
		t.Fatalf("after the takeover alice got %+v, want pos 2 moved -1", m)
	}
	waitHeard(t, a, ha+3) // alice's, bob's and the top from b
	// The same board again: nothing changed since b's messages.
	both(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, nil, "alice", "bob"))
	rec.quiet(subjAlice, 2, 100*time.Millisecond)
	rec.quiet(subjBob, 1, 0)
	rec.quiet(subjTop, 2, 0)
	// a takes the lease back: it heard everything b sent, so it sends nothing.
	aActive.Store(true)
	testkit.Eventually(t, 5*time.Second, func() error {
		var m dto.Metric
		if err := a.m.Active.Write(&m); err != nil || m.GetGauge().GetValue() != 1 {
			return fmt.Errorf("a not active yet (%v)", err)
		}
		return nil
	})
	rec.quiet(subjAlice, 2, 100*time.Millisecond)
	rec.quiet(subjBob, 1, 0)
	rec.quiet(subjTop, 2, 0)
	if got := testkit.CounterValue(a.m.TakeoverUpdates); got != 0 {
		t.Fatalf("a queued %v updates on taking the lease back, want none", got)
	}
}

// TestActiveNeedsSubscriber: a standby must be able to follow the subjects.
func TestActiveNeedsSubscriber(t *testing.T) {
	_, err := New(Options{Publisher: publisherFunc(func(string, []byte) error { return nil }),
		Active: func() bool { return false }}, testLogger(), nil)
	if err == nil {
		t.Fatal("New accepted Active without a Subscriber")
	}
}

type publisherFunc func(subject string, data []byte) error

func (f publisherFunc) Publish(subject string, data []byte) error { return f(subject, data) }

// waitFollowing waits until the standby n hears the live subjects: it
// publishes a top of contest "probe", one at a time, until n heard one. It
// returns n's heard count then.
func waitFollowing(t *testing.T, nc *nats.Conn, n *Notifier) float64 {
	t.Helper()
	base := testkit.CounterValue(n.m.Heard)
	data, err := json.Marshal(topMsg(contest.BoardID{Contest: "probe", Window: board1.Window}, 0, []TopRow{}))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := nc.Publish("lb.probe.top", data); err != nil {
			t.Fatal(err)
		}
		if testkit.Poll(200*time.Millisecond, func() error {
			if testkit.CounterValue(n.m.Heard) == base {
				return fmt.Errorf("not heard")
			}
			return nil
		}) == nil {
			return base + 1
		}
	}
	t.Fatal("the standby hears nothing")
	return 0
}

// waitHeard waits until n heard at least k live messages.
func waitHeard(t *testing.T, n *Notifier, k float64) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := testkit.CounterValue(n.m.Heard); got < k {
			return fmt.Errorf("heard %v live messages, want %v", got, k)
		}
		return nil
	})
}

// waitTicks waits until n has taken ticks batches of deltas off its inbox.
func waitTicks(t *testing.T, n *Notifier, ticks int) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, func() error {
		var m dto.Metric
		if err := n.m.TickSeconds.Write(&m); err != nil {
			return err
		}
		if got := m.GetHistogram().GetSampleCount(); got < uint64(ticks) {
			return fmt.Errorf("%d ticks processed, want %d", got, ticks)
		}
		return nil
	})
}
