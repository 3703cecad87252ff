package gateway

import "testing"

// A queue that never empties keeps its array at the size of what waits,
// and hands the connections out in the order they were queued.
func TestWritePoolQueueStaysBounded(t *testing.T) {
	p := newWritePool()
	conns := make([]*conn, 64)
	for i := range conns {
		conns[i] = &conn{}
	}
	for _, c := range conns[:8] {
		p.schedule(c)
	}
	next := 0
	for i := 0; i < 100_000; i++ {
		c := p.pop()
		if c != conns[next%len(conns)] {
			t.Fatalf("pop %d: out of order", i)
		}
		next++
		c.sched.Store(false)
		p.schedule(conns[(next+7)%len(conns)])
		if cap(p.ready) > 64 {
			t.Fatalf("after %d pops the queue's array holds %d for 8 waiting", i, cap(p.ready))
		}
	}
}
