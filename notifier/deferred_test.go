package notifier

import (
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
)

// TestDeferredOvertakenPushNeedsNoLaterReport (issue 9 item 7, suspect
// "deferred pushes are never re-sent"): an overtaken-only update that waits
// for OvertakenInterval goes out on the notifier's own timer, with no later
// board report; and a report equal to what the subject carries (a newly
// watched user's, from the ranker) sends nothing.
func TestDeferredOvertakenPushNeedsNoLaterReport(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{OvertakenInterval: 600 * time.Millisecond})
	n.OnTick(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	first := rec.wait(subjAlice, 1)[0]
	// Overtaken right after her own push: deferred; the board goes quiet.
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, []string{"bob"}, "alice"))
	got := rec.wait(subjAlice, 2)
	if m := got[1].rank; *m.Pos != 2 || m.Moved != -1 {
		t.Fatalf("deferred overtaken message %+v", m)
	}
	if d := got[1].at.Sub(first.at); d < 550*time.Millisecond {
		t.Fatalf("overtaken message %s after the previous one, want ≥ 600ms", d)
	}
	// The same rank reported again (a ranks-only delta): nothing.
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, nil, "alice"))
	rec.quiet(subjAlice, 2, 800*time.Millisecond)
}
