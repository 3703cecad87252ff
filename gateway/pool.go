package gateway

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// writePool writes the connections' queued messages from a few goroutines
// instead of each connection's own. A top message goes to every subscriber
// of the contest: with a writer goroutine per connection, each one woke 10k
// goroutines at once, and every other goroutine of the process (NATS, the
// scorer, the ranker, the notifier) waited behind them in the scheduler's
// run queues, once for each hop of the pipeline. The pool's workers take the
// ready connections in order, write each one's batch without blocking
// (corkConn.tryUncork) and yield now and then; what a socket does not take
// at once is finished by that connection's own goroutine, which may block
// (a slow client) under the gateway's write watchdog as before.
//
// Two ready lists: a connection that got a message for it alone (its
// player's rank, a notice: putUrgent) is served first, before the ones that
// wait for a top fan-out, which at 10k subscribers is a list of 10k
// connections. A connection may sit in both lists at once; its write lock
// (conn.wmu) makes the writes of one connection one after the other, and a
// worker that finds it taken moves on: the holder looks at the queue again
// once it let go (conn.release).
type writePool struct {
	mu    sync.Mutex
	lists [2]connList // [listFanout], [listUrgent]
	// urgentRun counts the urgent connections taken in a row: every
	// poolFairEvery-th pop takes a fan-out one first, so a stream of
	// personal messages cannot starve the tops.
	urgentRun int
	wake      chan struct{}
	// For the tests: connections taken from the urgent list, and turns at
	// a connection another worker (or its write) was writing.
	urgentPops, busy atomic.Int64
}

// The ready lists.
const (
	listFanout = iota
	listUrgent
)

// poolYieldEvery is how many connections a worker writes between yields.
const poolYieldEvery = 32

// poolFairEvery: at most poolFairEvery-1 urgent connections in a row
// while fan-out ones wait.
const poolFairEvery = 16

// connList is a FIFO of connections from head.
type connList struct {
	items []*conn
	head  int
}

func (l *connList) push(c *conn) {
	if l.head > 0 && l.head >= len(l.items)/2 {
		// Under a list that never empties the taken prefix would grow the
		// array for ever: move the waiting ones to the front instead.
		n := copy(l.items, l.items[l.head:])
		clear(l.items[n:])
		l.items, l.head = l.items[:n], 0
	}
	l.items = append(l.items, c)
}

// pop takes the first connection, nil when none waits.
func (l *connList) pop() *conn {
	if l.head == len(l.items) {
		l.items, l.head = l.items[:0], 0
		return nil
	}
	c := l.items[l.head]
	l.items[l.head] = nil
	l.head++
	return c
}

func (l *connList) empty() bool { return l.head == len(l.items) }

func newWritePool() *writePool {
	return &writePool{wake: make(chan struct{}, 1)}
}

// start runs workers until ctx ends.
func (p *writePool) start(ctx context.Context, workers int) {
	for range max(1, workers) {
		go p.run(ctx)
	}
}

// schedule puts c on the urgent or the fan-out list unless it already is
// there (c.listed).
func (p *writePool) schedule(c *conn, urgent bool) {
	list := listFanout
	if urgent {
		list = listUrgent
	}
	if !c.listed[list].CompareAndSwap(false, true) {
		return
	}
	p.mu.Lock()
	p.lists[list].push(c)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// pop takes the next connection to write, urgent ones first; nil when none
// waits. c is off that list when pop returns (a put may list it again).
func (p *writePool) pop() *conn {
	c, _ := p.popList()
	return c
}

// popList is pop, also saying whether c came from the urgent list.
func (p *writePool) popList() (*conn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := listUrgent
	if p.lists[listUrgent].empty() || (p.urgentRun >= poolFairEvery-1 && !p.lists[listFanout].empty()) {
		list = listFanout
	}
	c := p.lists[list].pop()
	if c == nil {
		return nil, false
	}
	if list == listUrgent {
		p.urgentRun++
		p.urgentPops.Add(1)
	} else {
		p.urgentRun = 0
	}
	c.listed[list].Store(false)
	return c, list == listUrgent
}

func (p *writePool) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		// Another worker may help with what is left. Only the fan-out
		// writes count towards a yield: an urgent connection is written
		// without going to the back of the run queue first.
		for n, fan := 1, 0; ; n++ {
			c, urgent := p.popList()
			if c == nil {
				break
			}
			if n == 2 {
				select {
				case p.wake <- struct{}{}:
				default:
				}
			}
			c.flushReady()
			if !urgent {
				fan++
				if fan%poolYieldEvery == 0 {
					runtime.Gosched()
				}
			}
		}
	}
}
