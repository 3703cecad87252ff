package aggregator

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// A partition's run in shared mode (shared.go): its worker and lane, and a
// keeper goroutine that holds its lease. The keeper refreshes the lease every
// LeaseTTL/5 and stops the run (cancels its context) as soon as the lease is
// lost, or when no refresh was answered for LeaseTTL/2 — on a timer, so even
// a refresh call that hangs cannot keep a run going past it. The key lives
// LeaseTTL after its last write and no other process can take it before, so
// the old holder has stopped LeaseTTL/2 before the new one starts: a
// partition is never scored by two processes at once. A stopped run does not
// publish any more (worker.flushNow checks ctx), and its checkpoint writer
// writes nothing more (its puts run on the cancelled context).

type partRun struct {
	w         *worker
	lease     *Lease
	cancel    context.CancelFunc
	done      chan struct{} // the run and its keeper have returned
	sinceTake time.Time
	failed    atomic.Bool // the run ended with an error: released, then taken again (by anyone)
	lost      atomic.Bool // the lease was lost (or not refreshed in time)
}

// ended reports whether the run stopped by itself; the next lease round drops it.
func (r *partRun) ended() bool { return r.failed.Load() || r.lost.Load() }

func (s *Scorer) startPart(ctx context.Context, p int, lease *Lease) {
	ctx, cancel := context.WithCancel(ctx)
	w := newWorker(s, p)
	w.owned = []int{p}
	r := &partRun{w: w, lease: lease, cancel: cancel, done: make(chan struct{}), sinceTake: time.Now()}
	s.shared.mu.Lock()
	s.shared.runs[p] = r
	s.shared.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer cancel() // the keeper too
		if err := s.runPart(ctx, w, p); err != nil && ctx.Err() == nil {
			s.log.Error("partition stopped", "partition", p, "err", err)
			// The next lease round releases the lease, and the partition
			// is taken again (by whoever is first) from its checkpoint.
			r.failed.Store(true)
		}
	}()
	go func() {
		defer wg.Done()
		s.keepLease(ctx, r, p)
	}()
	go func() {
		wg.Wait()
		close(r.done)
	}()
}

// keepLease refreshes r's lease until ctx ends, and stops r when the lease
// is lost or was not refreshed for LeaseTTL/2 (measured from the time each
// answered refresh was sent, so always before the key can expire).
func (s *Scorer) keepLease(ctx context.Context, r *partRun, p int) {
	ttl := s.opts.LeaseTTL
	stop := func(why string, err error) {
		if ctx.Err() != nil || r.lost.Swap(true) {
			return
		}
		s.m.LeasesLost.Inc()
		s.log.Warn("partition lease lost; partition stopped", "partition", p, "why", why, "err", err)
		r.cancel()
	}
	deadline := time.AfterFunc(time.Until(r.lease.Renewed().Add(ttl/2)), func() {
		stop("not refreshed in time", nil)
	})
	defer deadline.Stop()
	t := time.NewTicker(ttl / 5)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.connClosed() {
			stop("connection closed", nil)
			return
		}
		// One refresh at a time, given until the deadline: a refresh that
		// timed out but was applied would make the next one fail on its
		// revision, and the lease be lost for nothing. The lease value also
		// tells the others how far the partition is applied.
		rctx, cancel := context.WithDeadline(ctx, r.lease.Renewed().Add(ttl/2))
		err := r.lease.Refresh(rctx, leaseValue(s.opts.Instance, r.w.doneA.Load()))
		cancel()
		switch {
		case err == nil:
			deadline.Reset(time.Until(r.lease.Renewed().Add(ttl / 2)))
		case errors.Is(err, ErrLeaseLost) || rctx.Err() != nil:
			stop("lost", err)
			return
		}
	}
}

// stopPart stops partition p's run and waits for it (and its keeper); its
// pending standings are dropped (the next owner republishes after its
// catch-up). It returns the run (nil: none).
func (s *Scorer) stopPart(p int) *partRun {
	s.shared.mu.Lock()
	r := s.shared.runs[p]
	delete(s.shared.runs, p)
	s.shared.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
	return r
}

// dropPart stops p's run and gives its lease back: Release deletes the key
// only at the revision this process last wrote, so a lease lost to another
// process stays theirs, and one that only went unrefreshed is free at once
// rather than after it expires.
func (s *Scorer) dropPart(ctx context.Context, p int) {
	r := s.stopPart(p)
	if r == nil || s.connClosed() {
		return // a process that lost its connection for good is as good as dead: its leases expire
	}
	rctx, cancel := context.WithTimeout(ctx, s.opts.LeaseTTL/2)
	defer cancel()
	if err := r.lease.Release(rctx); err != nil && !r.lost.Load() {
		s.log.Warn("lease release failed (it will expire)", "partition", p, "err", err)
	}
}

// connClosed reports whether the scorer's own connection is closed for good
// (not reconnecting): the lease connection must not outlive it.
func (s *Scorer) connClosed() bool { return s.opts.JS.Conn().IsClosed() }

// runPart scores partition p from its checkpoint (whoever wrote it) with
// its own lane (an ordered consumer filtered on p) until ctx ends.
func (s *Scorer) runPart(ctx context.Context, w *worker, p int) error {
	started := time.Now()
	s.expectCatchup(ctx, w.eng)
	covered, err := s.restorePart(ctx, w, p)
	if err != nil {
		return err
	}
	w.ckptSeq[p] = covered
	w.doneA.Store(covered)
	w.restoredA.Store(covered > 0)
	s.ownedGauges()
	if err := s.loadPartDLQMarks(ctx, w.part(p), p); err != nil {
		return err
	}
	s.log.Info("partition starting", "partition", p, "checkpoint_covers", covered)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.run(ctx) }()
	go func() { defer wg.Done(); w.writeCheckpoints(ctx) }()
	defer func() {
		close(w.in)
		wg.Wait()
	}()
	lane := Lane{JS: s.opts.JS, Partition: p, From: covered + 1}
	return lane.Run(ctx, partSink{s: s, w: w, p: p, from: covered + 1, started: started})
}

// partSink is a shared-mode partition lane's sink: its worker.
type partSink struct {
	s       *Scorer
	w       *worker
	p       int
	from    uint64
	started time.Time
}

func (ps partSink) Deliver(ctx context.Context, d *Delivery) bool {
	ps.s.m.EventsIn.Inc()
	select {
	case ps.w.in <- inMsg{Delivery: *d}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (ps partSink) CaughtUp() {
	ps.w.in <- inMsg{caughtUp: true}
	ps.s.log.Info("partition caught up", "partition", ps.p, "from_seq", ps.from, "took", time.Since(ps.started))
}
