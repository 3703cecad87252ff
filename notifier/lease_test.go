package notifier

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/internal/testkit"
)

// TestLeaseMoveLosesNoUpdate: two notifiers on the same feed, a holding the
// lease, b a standby. a dies (its process and connection gone) while
// alice's overtaken update still waits in its slot; then, before the lease
// reaches b, carol overtakes everyone. Once b holds the lease, every
// subject's last message equals the board, with moved counted from the last
// message the subject really carried. (Before, b recorded all of it as sent
// and nobody ever sent it.)
func TestLeaseMoveLosesNoUpdate(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	ncA, err := nats.Connect(st.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer ncA.Close()
	var bActive atomic.Bool
	// a: a long overtaken interval, so alice's overtaken update waits in a's
	// slot when a dies; b: short intervals.
	a := startNotifier(t, ncA, Options{Interval: 10 * time.Millisecond, OvertakenInterval: time.Minute,
		Active: func() bool { return true }})
	b := startNotifier(t, st.NC, Options{Interval: time.Millisecond, OvertakenInterval: time.Millisecond,
		Active: bActive.Load})
	heard := waitFollowing(t, st.NC, b)
	ticks := 0
	both := func(d []aggregator.BoardDelta) {
		a.OnTick(d)
		b.OnTick(d)
		ticks++
		waitTicks(t, b, ticks)
	}
	both(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	rec.wait(subjAlice, 1)
	rec.wait(subjTop, 1)
	// bob overtakes alice: bob's message goes out, alice's waits a minute.
	both(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, []string{"bob"}, "alice"))
	rec.wait(subjBob, 1)
	rec.wait(subjTop, 2)
	waitHeard(t, b, heard+4) // b heard what a sent
	a.Stop()                 // killed: its waiting update dies with it
	ncA.Close()

	// The lease has not moved yet: carol overtakes both.
	both(delta([]aggregator.Rank{rk(1, "carol", 300, nil, 300), rk(2, "bob", 100, gap(200), 100),
		rk(3, "alice", 40, gap(60), 40)}, []string{"carol"}, "alice", "bob"))
	time.Sleep(50 * time.Millisecond) // the lease's move takes a while (b's intervals are 1 ms)
	rec.quiet(subjAlice, 1, 0)
	bActive.Store(true)

	want := map[string]struct{ pos, moved int }{subjAlice: {3, -2}, subjBob: {2, -1}, subjCarol: {1, 0}}
	testkit.Eventually(t, 10*time.Second, func() error {
		for subj, w := range want {
			got := rec.on(subj)
			if len(got) == 0 {
				return fmt.Errorf("%s: no message", subj)
			}
			m := got[len(got)-1].rank
			if *m.Pos != w.pos || m.Moved != w.moved {
				return fmt.Errorf("%s: last message %+v (pos %d), want pos %d moved %d", subj, m, *m.Pos, w.pos, w.moved)
			}
		}
		top := rec.on(subjTop)
		if l := top[len(top)-1].top; len(l.Top) != 3 || l.Top[0].User != "carol" || l.Total != 3 {
			return fmt.Errorf("last top %+v", l)
		}
		return nil
	})
	// Nothing twice: each subject got the missing state once.
	rec.quiet(subjAlice, 2, 100*time.Millisecond)
	rec.quiet(subjBob, 2, 0)
	rec.quiet(subjCarol, 1, 0)
	rec.quiet(subjTop, 3, 0)
}
