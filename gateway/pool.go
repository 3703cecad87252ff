package gateway

import (
	"context"
	"runtime"
	"sync"
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
type writePool struct {
	mu    sync.Mutex
	ready []*conn // FIFO from head
	head  int
	wake  chan struct{}
}

// poolYieldEvery is how many connections a worker writes between yields.
const poolYieldEvery = 32

func newWritePool() *writePool {
	return &writePool{wake: make(chan struct{}, 1)}
}

// start runs workers until ctx ends.
func (p *writePool) start(ctx context.Context, workers int) {
	for range max(1, workers) {
		go p.run(ctx)
	}
}

// schedule queues c for a worker unless it already is queued or being
// written (c.sched).
func (p *writePool) schedule(c *conn) {
	if !c.sched.CompareAndSwap(false, true) {
		return
	}
	p.mu.Lock()
	if p.head > 0 && p.head >= len(p.ready)/2 {
		// Under a queue that never empties the taken prefix would grow the
		// array for ever: move the waiting ones to the front instead.
		n := copy(p.ready, p.ready[p.head:])
		clear(p.ready[n:])
		p.ready, p.head = p.ready[:n], 0
	}
	p.ready = append(p.ready, c)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// pop takes the first ready connection, nil when none is.
func (p *writePool) pop() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.head == len(p.ready) {
		p.ready, p.head = p.ready[:0], 0
		return nil
	}
	c := p.ready[p.head]
	p.ready[p.head] = nil
	p.head++
	return c
}

func (p *writePool) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		// Another worker may help with what is left.
		for n := 1; ; n++ {
			c := p.pop()
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
			if n%poolYieldEvery == 0 {
				runtime.Gosched()
			}
		}
	}
}
