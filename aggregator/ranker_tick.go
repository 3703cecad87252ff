package aggregator

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// tick hands this tick's output to the sinks (ranker_sink.go): the changes
// of the owned boards; in full the boards of a group this process just
// gained, boards re-keyed for a new contest version and, per sink, the
// boards of its last failed write. Changes of boards another process owns
// are forgotten: their holder writes them. It reports whether every sink
// took its batch. The Run loop writes off its goroutine instead when it can
// (timedTick, ranker_write.go). Ranker goroutine only.
func (r *Ranker) tick(ctx context.Context) bool {
	t0 := time.Now()
	batch, per := r.prepareTick()
	return r.settle(t0, batch, per, r.writeSinks(ctx, per))
}

// prepareTick collects the tick's batch and what each sink gets of it
// (with the boards of its last failed write in full). Ranker goroutine.
func (r *Ranker) prepareTick() (*Batch, []*Batch) {
	gained := r.gainedGroups()
	r.mu.Lock()
	batch := r.collect(gained)
	r.mu.Unlock()
	for k, ep := range gained {
		r.groupEp[k] = ep
		r.log.Info("board group gained: its boards are written in full", "group", k, "groups", r.groupCount())
	}
	per := make([]*Batch, len(r.opts.Sinks))
	for i, s := range r.opts.Sinks {
		per[i] = r.withFailed(i, forSink(s, batch))
	}
	return batch, per
}

// settle records the sinks' answers to a tick started at t0 (errs parallel
// to per): a failed sink gets the batch's boards in full next time. It
// reports whether every sink took its batch. Ranker goroutine.
func (r *Ranker) settle(t0 time.Time, batch *Batch, per []*Batch, errs []error) bool {
	ok := true
	for i, err := range errs {
		if err != nil {
			ok = false
			for _, d := range per[i].Boards {
				r.sinkFail[i][d.ID] = true
			}
		} else if len(per[i].Boards) > 0 {
			clear(r.sinkFail[i])
		}
	}
	if len(batch.Boards) > 0 {
		r.m.TickSeconds.Observe(time.Since(t0).Seconds())
	}
	for _, d := range batch.Boards {
		if !d.EventTime.IsZero() {
			r.m.EventLatency.WithLabelValues(LatencyVisible).Observe(timeSince(d.EventTime))
		}
	}
	return ok
}

// gainedGroups are the groups held now whose boards were not written in
// full since the lease was gained (group → lease epoch).
func (r *Ranker) gainedGroups() map[int]uint64 {
	g := r.opts.Groups
	out := map[int]uint64{}
	if g == nil {
		if _, done := r.groupEp[0]; !done {
			out[0] = 1
		}
		return out
	}
	held := g.HeldGroups()
	r.m.Sinks.OwnedGroups.Set(float64(len(held)))
	for _, k := range held {
		if ep := g.Epoch(k); r.groupEp[k] != ep && r.ownsGroup(k) {
			out[k] = ep
		}
	}
	return out
}

// collect takes the dirty sets of every board. Under r.mu.
func (r *Ranker) collect(gained map[int]uint64) *Batch {
	batch := &Batch{At: time.Now().UTC()}
	r.tickAt = batch.At
	for _, b := range r.boards {
		_, full := gained[b.group]
		full = full || b.replace
		if !r.ownsGroup(b.group) {
			clear(b.dirty)
			b.replace, b.since = false, time.Time{}
			continue
		}
		if !full && len(b.dirty) == 0 {
			if bd, ok := r.newlyWatched(b); ok {
				batch.Boards = append(batch.Boards, bd)
			} else if bd, ok := r.recheckWatched(b); ok {
				batch.Boards = append(batch.Boards, bd)
			}
			continue
		}
		var bd BoardDelta
		if full {
			bd = r.fullDelta(b)
		} else {
			bd = r.changes(b)
		}
		clear(b.dirty)
		b.replace, b.since = false, time.Time{}
		batch.Boards = append(batch.Boards, bd)
		r.m.BoardEntries.WithLabelValues(b.id.Contest, strconv.FormatInt(b.id.Window, 10), b.id.Division).Set(float64(b.tree.Len()))
	}
	r.m.Boards.Set(float64(len(r.boards)))
	return batch
}

// header is a BoardDelta of b without changes.
func (r *Ranker) header(b *rboard) BoardDelta {
	return BoardDelta{ID: b.id, EventTime: b.since, NWords: b.tree.NWords(), Order: b.lb.Order, ExpireAt: r.expireAt(b.id)}
}

// changes is b's delta of this tick. Under r.mu.
func (r *Ranker) changes(b *rboard) BoardDelta {
	bd := r.header(b)
	bd.Changed = make([]UserDelta, 0, len(b.dirty))
	for u, d := range b.dirty {
		if d.removed {
			if d.old != nil {
				bd.Changed = append(bd.Changed, UserDelta{User: u, Removed: true, OldKey: d.old})
			}
			continue
		}
		key, _ := b.tree.Get(u)
		bd.Changed = append(bd.Changed, UserDelta{User: u, Standing: b.st[u], Key: key, OldKey: d.old})
	}
	if r.ranks {
		r.fillRanks(b, &bd)
	}
	return bd
}

// fullDelta is b in full. Its Entries walk b's tree: only the ranker
// goroutine changes a board, and it is in the sink's Write meanwhile.
func (r *Ranker) fullDelta(b *rboard) BoardDelta {
	bd := r.header(b)
	bd.Full = true
	tree := b.tree
	bd.Entries = func(yield func(string, []int64) bool) {
		tree.Each(func(_ int, user string, key []int64) bool { return yield(user, key) })
	}
	if r.ranks {
		r.fillRanks(b, &bd)
	}
	return bd
}

// writeSinks writes each sink its batch (per, parallel to the sinks) at
// once, so that the live feed does not wait for the read model's write;
// each sink still takes one batch at a time, in tick order (the Sink
// contract). It touches no ranker state but the metrics and the log, so it
// may run off the ranker goroutine (ranker_write.go).
func (r *Ranker) writeSinks(ctx context.Context, per []*Batch) []error {
	sinks := r.opts.Sinks
	errs := make([]error, len(sinks))
	if len(sinks) == 1 {
		errs[0] = r.writeSink(ctx, sinks[0], per[0])
		return errs
	}
	var wg sync.WaitGroup
	for i, s := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.writeSink(ctx, s, per[i])
		}()
	}
	wg.Wait()
	return errs
}

// writeSink writes b to sink s and counts it.
func (r *Ranker) writeSink(ctx context.Context, s Sink, b *Batch) error {
	if len(b.Boards) == 0 {
		return nil
	}
	t0 := time.Now()
	err := s.Write(ctx, b)
	r.m.Sinks.Seconds.WithLabelValues(s.Name()).Observe(time.Since(t0).Seconds())
	if err != nil {
		r.m.Sinks.Errors.WithLabelValues(s.Name()).Inc()
		if s.Name() == "redis" {
			r.m.RedisErrors.Inc()
		}
		if ctx.Err() == nil {
			r.log.Error("sink write failed; its boards are written in full next tick", "sink", s.Name(), "boards", len(b.Boards), "err", err)
		}
		return err
	}
	r.m.Sinks.Writes.WithLabelValues(s.Name()).Inc()
	return nil
}

// withFailed is batch with every board sink i failed to take in full (the
// ones this process still owns). Ranker goroutine.
func (r *Ranker) withFailed(i int, batch *Batch) *Batch {
	failed := r.sinkFail[i]
	if len(failed) == 0 {
		return batch
	}
	out := &Batch{At: batch.At, Boards: make([]BoardDelta, 0, len(batch.Boards)+len(failed))}
	done := map[contest.BoardID]bool{}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range batch.Boards {
		if failed[d.ID] && !d.Full {
			if b := r.boards[d.ID]; b != nil {
				full := r.fullDelta(b)
				full.EventTime = d.EventTime
				d = full
			}
		}
		done[d.ID] = true
		out.Boards = append(out.Boards, d)
	}
	for id := range failed {
		b := r.boards[id]
		if done[id] || b == nil || !r.ownsGroup(b.group) {
			continue
		}
		out.Boards = append(out.Boards, r.fullDelta(b))
	}
	return out
}
