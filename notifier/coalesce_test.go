package notifier

import (
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// TestCoalescerRanksBeforeTop: within one flush the due rank subjects come
// before a due top subject, even one due earlier; each subject still keeps
// its interval, and a top slot set aside takes later updates without being
// queued twice.
func TestCoalescerRanksBeforeTop(t *testing.T) {
	const iv = 275 * time.Millisecond
	c := newCoalescer(iv, time.Second)
	board := contest.BoardID{Contest: "c1"}
	t0 := time.Unix(1_800_000_000, 0)
	top := func(score int64) update {
		return update{board: board, top: []TopRow{{Pos: 1, User: "a", Score: score}}}
	}
	rank := func(u string) update { return update{board: board, rank: aggregator.Rank{User: u, Pos: 2}} }

	c.add("lb.c1.top", true, top(1), t0)
	c.add("lb.c1.user.a", false, rank("a"), t0.Add(time.Millisecond))
	c.add("lb.c1.user.b", false, rank("b"), t0.Add(2*time.Millisecond))
	now := t0.Add(3 * time.Millisecond)
	var order []string
	for s := c.next(now); s != nil; s = c.next(now) {
		order = append(order, s.subject)
		if s.subject == "lb.c1.user.a" {
			// An update arriving for the top slot set aside meanwhile.
			c.add("lb.c1.top", true, top(2), now)
		}
		s.pending = nil
		c.sent(s, now)
	}
	want := []string{"lb.c1.user.a", "lb.c1.user.b", "lb.c1.top"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if len(c.queue) != 0 || len(c.tops) != 0 {
		t.Fatalf("after the flush: %d queued, %d set aside", len(c.queue), len(c.tops))
	}
	// The top subject's interval still holds: a change now waits for it.
	c.add("lb.c1.top", true, top(3), now.Add(time.Millisecond))
	if s := c.next(now.Add(iv - time.Millisecond)); s != nil {
		t.Fatalf("%s went out within its interval", s.subject)
	}
	if due, ok := c.nextDue(); !ok || !due.Equal(now.Add(iv)) {
		t.Fatalf("top due %v (%v), want %v", due, ok, now.Add(iv))
	}
	if s := c.next(now.Add(iv)); s == nil || s.subject != "lb.c1.top" || len(s.pending) != 1 {
		t.Fatalf("top slot after its interval: %+v", s)
	}
}
