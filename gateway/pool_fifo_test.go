package gateway

import "testing"

// A list that never empties keeps its array at the size of what waits,
// and hands the connections out in the order they were queued.
func TestWritePoolQueueStaysBounded(t *testing.T) {
	p := newWritePool()
	conns := make([]*conn, 64)
	for i := range conns {
		conns[i] = &conn{}
	}
	for _, c := range conns[:8] {
		p.schedule(c, false)
	}
	next := 0
	for i := 0; i < 100_000; i++ {
		c := p.pop()
		if c != conns[next%len(conns)] {
			t.Fatalf("pop %d: out of order", i)
		}
		next++
		p.schedule(conns[(next+7)%len(conns)], false)
		if l := p.lists[listFanout]; cap(l.items) > 64 {
			t.Fatalf("after %d pops the list's array holds %d for 8 waiting", i, cap(l.items))
		}
	}
}

// A connection scheduled urgent is taken before the fan-out list's, even
// when it also waits there; a stream of urgent ones lets a fan-out one
// through every poolFairEvery pops; each list is FIFO.
func TestWritePoolServesUrgentFirst(t *testing.T) {
	p := newWritePool()
	fan := make([]*conn, 1000)
	for i := range fan {
		fan[i] = &conn{}
		p.schedule(fan[i], false)
	}
	both := fan[900]
	p.schedule(both, true)
	p.schedule(both, true) // listed already: once
	if c := p.pop(); c != both {
		t.Fatal("the urgent connection waits behind the fan-out list")
	}
	if c := p.pop(); c != fan[0] {
		t.Fatal("fan-out list not FIFO")
	}
	urg := make([]*conn, 3*poolFairEvery)
	for i := range urg {
		urg[i] = &conn{}
		p.schedule(urg[i], true)
	}
	var order []*conn
	for range len(urg) + 3 {
		order = append(order, p.pop())
	}
	ui, fi := 0, 1
	for i, c := range order {
		if (i+1)%poolFairEvery == 0 { // poolFairEvery-1 urgent, then one fan-out
			if c != fan[fi] {
				t.Fatalf("pop %d: want fan-out %d", i, fi)
			}
			fi++
			continue
		}
		if ui >= len(urg) || c != urg[ui] {
			t.Fatalf("pop %d: want urgent %d", i, ui)
		}
		ui++
	}
	// both is taken again from the fan-out list (its place there was kept).
	for c := p.pop(); c != nil; c = p.pop() {
		if c == both {
			return
		}
	}
	t.Fatal("both left the fan-out list")
}
