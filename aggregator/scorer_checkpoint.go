package aggregator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash"
	"slices"
	"time"

	"github.com/rankstream/rankstream/streams"
)

// Checkpoints (docs/exactly-once.md). Each worker periodically takes a round:
// it flushes its pending standings, serialises every partition it owns whose
// covered sequence moved, and hands the bytes with the flush rounds of every
// SCORES publish since the previous round (pubacks.go) to its writer
// goroutine. The writer waits for those acks (so SCORES is never behind a checkpoint) and
// only then puts the partitions into the object store. Scoring goes on
// meanwhile; a round is skipped while the previous one is still in flight.

// ackTimeout bounds the wait for a round's SCORES acks.
const ackTimeout = 10 * time.Second

type ckptJob struct {
	acks  []*ackRound
	parts []ckptPart
	taken time.Time
}

type ckptPart struct {
	p       int
	prev    uint64 // covered seq of the partition's previous round
	covered uint64
	data    []byte
}

// loadCheckpoints opens the checkpoint store, restores every partition that
// has a usable checkpoint, and returns the EVENTS sequence to read from: the
// lowest covered sequence + 1 (1 when some partition has none).
func (s *Scorer) loadCheckpoints(ctx context.Context) (uint64, error) {
	if s.opts.CheckpointInterval < 0 {
		return 1, nil
	}
	obs, err := streams.EnsureCheckpoints(ctx, s.opts.JS, s.opts.Replicas)
	if err != nil {
		return 0, err
	}
	s.ckpts = obs
	var lowest uint64
	restored := 0
	for p := 0; p < s.opts.Partitions; p++ {
		w := s.workers[p%len(s.workers)]
		covered, err := s.restorePart(ctx, w, p)
		if err != nil {
			return 0, err
		}
		if covered > 0 {
			restored++
		}
		w.ckptSeq[p] = covered
		if p == 0 || covered < lowest {
			lowest = covered
		}
	}
	s.m.RestoredPartitions.Set(float64(restored))
	s.log.Info("checkpoints loaded", "restored", restored, "partitions", s.opts.Partitions, "resume_after", lowest)
	return lowest + 1, nil
}

// restorePart loads partition p's checkpoint into w's engine and returns
// the sequence it covers (0: none usable, the partition starts empty).
func (s *Scorer) restorePart(ctx context.Context, w *worker, p int) (uint64, error) {
	data, err := readCheckpoint(ctx, s.ckpts, streams.CheckpointObject(p), s.log)
	switch {
	case err == nil:
		covered, err := w.eng.RestorePartition(p, data)
		if err != nil {
			s.log.Warn("checkpoint not used; partition replays from the start", "partition", p, "err", err)
			delete(w.eng.parts, p)
			return 0, nil
		}
		return covered, nil
	case ctx.Err() != nil:
		return 0, fmt.Errorf("aggregator: checkpoint of partition %d: %w", p, ctx.Err())
	case !errors.Is(err, errNoCheckpoint):
		s.log.Warn("checkpoint unreadable; partition replays from the start", "partition", p, "err", err)
	}
	return 0, nil
}

// checkpoint takes one round (worker goroutine).
func (w *worker) checkpoint(ctx context.Context) {
	w.sinceCkpt = 0
	if !w.live {
		return // nothing is published before catch-up, so nothing may be checkpointed
	}
	if !w.settleLetters(ctx) {
		return // a round covers no event whose dead letters may not be stored
	}
	w.syncRules(ctx)
	if w.rs.set == nil {
		w.s.m.Checkpoints.WithLabelValues("skipped").Inc()
		return // a re-score is still to be done: the state is not that of any rules
	}
	// the contest versions the state was built with, not the latest
	fp := fingerprintOf(w.rs.set.All(), func(h hash.Hash) { missionsFingerprint(h, w.s.opts.Rules) })
	if len(w.ckptJobs) == cap(w.ckptJobs) {
		w.s.m.Checkpoints.WithLabelValues("skipped").Inc()
		return
	}
	if w.ckptRedo.Swap(false) {
		clear(w.ckptSeq)
		w.enqueueAll()
	}
	w.flush(ctx)
	if w.pending.len() > 0 || w.mout.pending() > 0 {
		w.s.m.Checkpoints.WithLabelValues("skipped").Inc()
		return // a publish was refused: SCORES would be behind this round
	}
	w.eng.PruneAll() // idle partitions too, so the checkpoint shrinks with the state
	w.gauges.report(w.s.m, w.eng)
	job := ckptJob{acks: w.rounds, taken: time.Now()}
	for _, p := range w.owned {
		covered := max(w.lastSeq, w.part(p).last)
		if covered <= w.ckptSeq[p] {
			continue
		}
		job.parts = append(job.parts, ckptPart{p: p, prev: w.ckptSeq[p], covered: covered, data: w.eng.marshalPartition(nil, p, covered, fp)})
	}
	// Stalest first: a process killed in the middle of a round leaves the
	// others behind, and the next run resumes after the lowest covered seq;
	// writing those first next time lets every partition move on.
	slices.SortStableFunc(job.parts, func(a, b ckptPart) int { return cmp.Compare(a.prev, b.prev) })
	if len(job.parts) == 0 && len(job.acks) == 0 {
		return
	}
	// A round with no partition to write still checks its acks: a standing
	// whose ack was lost with a server (the future never resolves) is found
	// and republished even when no event follows it.
	w.ckptJobs <- job // never blocks: checked above, and only this goroutine sends
	w.rounds = nil
	for _, cp := range job.parts {
		w.ckptSeq[cp.p] = cp.covered
	}
}

// writeCheckpoints makes the rounds durable (one goroutine per worker).
func (w *worker) writeCheckpoints(ctx context.Context) {
	for job := range w.ckptJobs {
		if !w.writeJob(ctx, job) && ctx.Err() == nil {
			w.s.m.Checkpoints.WithLabelValues("failed").Inc()
			w.ckptRedo.Store(true)
		}
	}
	w.s.acks.release(w.rounds) // the worker has stopped: rounds no round took
}

func (w *worker) writeJob(ctx context.Context, job ckptJob) bool {
	// An ack lost with a dying server never comes: give up after ackTimeout
	// and treat the round as failed (standings republished).
	defer w.s.acks.release(job.acks)
	if err := w.s.acks.wait(ctx, job.acks, ackTimeout); err != nil {
		if ctx.Err() == nil {
			w.s.log.Warn("standings not acknowledged; checkpoint round dropped, standings republished", "err", err)
		}
		return false
	}
	hook := w.s.opts.CheckpointHook
	for _, cp := range job.parts {
		if hook != nil {
			hook(cp.p, cp.covered, "write")
		}
		// Bounded too: a put whose chunk acks died with a server would
		// otherwise hold this writer, and with it the detection of lost
		// standing acks, for good.
		pctx, cancel := context.WithTimeout(ctx, ackTimeout)
		put := time.Now()
		_, err := w.s.ckpts.PutBytes(pctx, streams.CheckpointObject(cp.p), cp.data)
		cancel()
		w.s.m.CheckpointWriteSeconds.Observe(time.Since(put).Seconds())
		if err != nil {
			if ctx.Err() == nil {
				w.s.log.Warn("checkpoint write failed", "partition", cp.p, "err", err)
			}
			return false
		}
		if hook != nil {
			hook(cp.p, cp.covered, "written")
		}
		w.s.m.Checkpoints.WithLabelValues("written").Inc()
		w.s.m.CheckpointBytes.Add(float64(len(cp.data)))
		w.ckptGauges.written(w.s.m, cp.p, len(cp.data))
	}
	w.s.m.CheckpointSeconds.Observe(time.Since(job.taken).Seconds())
	return true
}
