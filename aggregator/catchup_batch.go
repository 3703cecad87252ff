package aggregator

import "context"

// While a single-mode scorer catches up, its lane hands the workers their
// events in batches (one channel send, one worker wake-up and one select
// per catchupBatch events, not per event). Nothing is published before a
// worker goes live and no Barrier is taken before the scorer is caught up,
// so holding up to a batch per worker changes nothing a reader can see:
// each worker still gets its events in stream order, all of them before
// its caughtUp marker. Once caught up the lane hands on every event at
// once (a live event must not wait for a batch to fill).

// catchupBatch is how many events of one worker a catch-up batch holds;
// catchupBatches how many batches a worker has (in its queue, being filled
// or handled): they bound what is in flight as the worker's queue did.
const (
	catchupBatch   = 256
	catchupBatches = workerQueue / catchupBatch
)

// batcher is the dispatcher's per-worker catch-up batches; the workers give
// spent ones back, so a catch-up allocates catchupBatches a worker.
type batcher struct {
	bufs [][]inMsg
	made []int          // per worker: batches allocated
	free []chan []inMsg // per worker: spent batches, emptied
	done bool           // caught up: events go one by one
}

func newBatcher(workers int) *batcher {
	b := &batcher{bufs: make([][]inMsg, workers), made: make([]int, workers), free: make([]chan []inMsg, workers)}
	for i := range b.free {
		b.free[i] = make(chan []inMsg, catchupBatches)
	}
	return b
}

// add appends dl to worker wi's batch and returns the batch once full; ok
// false when ctx ended while every batch of wi was in flight.
func (b *batcher) add(ctx context.Context, wi int, dl *Delivery) (full []inMsg, ok bool) {
	buf := b.bufs[wi]
	if buf == nil {
		if b.made[wi] < catchupBatches {
			b.made[wi]++
			buf = make([]inMsg, 0, catchupBatch)
		} else {
			select {
			case buf = <-b.free[wi]:
			case <-ctx.Done():
				return nil, false
			}
		}
	}
	buf = append(buf, inMsg{Delivery: *dl})
	if len(buf) < catchupBatch {
		b.bufs[wi] = buf
		return nil, true
	}
	b.bufs[wi] = nil
	return buf, true
}

// giveBack returns a handled batch of worker wi for reuse, emptied so that
// it keeps no message alive (never blocks: the channel holds them all).
func (b *batcher) giveBack(wi int, batch []inMsg) {
	clear(batch)
	b.free[wi] <- batch[:0]
}

// sendBatch hands worker wi a batch; false when ctx ended first.
func (s *Scorer) sendBatch(ctx context.Context, wi int, batch []inMsg) bool {
	s.gate.RLock()
	defer s.gate.RUnlock()
	select {
	case s.workers[wi].in <- inMsg{batch: batch}:
		return true
	case <-ctx.Done():
		return false
	}
}

// flushBatches hands every worker what its batch holds (before its
// caughtUp marker).
func (d *dispatcher) flushBatches() {
	for wi, buf := range d.b.bufs {
		if len(buf) > 0 {
			d.s.workers[wi].in <- inMsg{batch: buf}
		}
		d.b.bufs[wi] = nil
	}
	d.b.done = true
}

// handleBatch handles a catch-up batch's events in order, then gives the
// batch back to the dispatcher.
func (w *worker) handleBatch(ctx context.Context, batch []inMsg) {
	for i := range batch {
		w.event(ctx, &batch[i])
	}
	if w.batches != nil {
		w.batches.giveBack(w.id, batch)
	}
}

// batcher makes the dispatcher's batcher and tells the workers about it.
func (s *Scorer) batcher() *batcher {
	b := newBatcher(len(s.workers))
	for _, w := range s.workers {
		w.batches = b
	}
	return b
}
