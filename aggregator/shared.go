package aggregator

import (
	"context"
	"errors"
	"hash/fnv"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// Shared mode (ScorerOptions.Instance set): the EVENTS partitions are shared
// among the processes by leases in a JetStream KV bucket whose keys expire
// LeaseTTL after their last write. Each round (every LeaseTTL/5) a process
// refreshes its member key and its leases (Update with the last revision:
// compare-and-set, so a lease is never held twice), counts the members, and
// moves towards its fair share ceil(partitions/members): it takes free
// partitions (Create fails when someone holds one) or releases its excess.
// A lease it could not refresh for LeaseTTL/2 is dropped before it can
// expire, so two processes never score a partition at once while the lease
// machinery works; a dead process's leases expire after LeaseTTL and are
// taken within one more round. Every owned partition has its own worker
// (engine, standings, checkpoints) and its own ordered consumer filtered on
// that partition; it starts from the partition's checkpoint.

type sharedState struct {
	kv     atomic.Pointer[jetstream.KeyValue]
	mu     sync.Mutex
	runs   map[int]*partRun
	rounds atomic.Int64 // lease rounds done
	cut    cutState     // cut keys as last seen (cut.go)
}

type partRun struct {
	w         *worker
	lease     *Lease
	cancel    context.CancelFunc
	done      chan struct{}
	sinceTake time.Time
	failed    atomic.Bool // the run ended with an error: the next round restarts it
}

// Owned returns the partitions this process scores (all of them when not shared).
func (s *Scorer) Owned() []int {
	if s.shared == nil {
		out := make([]int, s.opts.Partitions)
		for i := range out {
			out[i] = i
		}
		return out
	}
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	out := make([]int, 0, len(s.shared.runs))
	for p := range s.shared.runs {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

func (s *Scorer) sharedCaughtUp() bool {
	if s.shared == nil {
		return false
	}
	if s.shared.rounds.Load() == 0 {
		return false
	}
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	for _, r := range s.shared.runs {
		if !r.w.liveA.Load() {
			return false
		}
	}
	return true
}

func (s *Scorer) sharedUpToDate(ctx context.Context) (bool, error) {
	if !s.sharedCaughtUp() {
		return false, nil
	}
	for p, r := range s.snapshotRuns() {
		last, err := Lane{JS: s.opts.JS, Partition: p}.lastAtStart(ctx)
		if err != nil {
			return false, err
		}
		if r.w.doneA.Load() < last {
			return false, nil
		}
	}
	return true, nil
}

func (s *Scorer) runShared(ctx context.Context) error {
	obs, err := streams.EnsureCheckpoints(ctx, s.opts.JS, s.opts.Replicas)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	s.ckpts = obs
	kv, err := streams.EnsureLeases(ctx, s.opts.JS, s.opts.LeaseTTL, s.opts.Replicas)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	s.shared.kv.Store(&kv)
	defer s.release(kv)
	go s.watchCuts(ctx, kv)
	s.log.Info("scorer sharing partitions", "instance", s.opts.Instance, "lease_ttl", s.opts.LeaseTTL)
	t := time.NewTicker(s.opts.LeaseTTL / 5)
	defer t.Stop()
	for {
		s.leaseRound(ctx, kv)
		s.shared.rounds.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// leaseRound refreshes, counts, and takes or releases partitions.
func (s *Scorer) leaseRound(ctx context.Context, kv jetstream.KeyValue) {
	if _, err := kv.Put(ctx, streams.MemberKey(s.opts.Instance), []byte(s.opts.Instance)); err != nil && ctx.Err() == nil {
		s.log.Warn("member refresh failed", "err", err)
	}
	defer s.ownedGauges()
	s.refreshLeases(ctx)
	if ctx.Err() != nil {
		return
	}
	members := s.countMembers(ctx, kv)
	target := (s.opts.Partitions + members - 1) / members
	if runs := s.snapshotRuns(); len(runs) > target {
		s.releaseExcess(ctx, runs, len(runs)-target, members)
		return
	}
	s.takeFree(ctx, kv, target, members)
}

// ownedGauges sets the owned and restored (from a checkpoint) partitions.
func (s *Scorer) ownedGauges() {
	runs := s.snapshotRuns()
	restored := 0
	for _, r := range runs {
		if r.w.restoredA.Load() {
			restored++
		}
	}
	s.m.OwnedPartitions.Set(float64(len(runs)))
	s.m.RestoredPartitions.Set(float64(restored))
}

// refreshLeases refreshes every held partition lease and stops the
// partitions whose lease is lost.
func (s *Scorer) refreshLeases(ctx context.Context) {
	for p, r := range s.snapshotRuns() {
		if r.failed.Load() {
			s.stopPart(p)
			if err := r.lease.Release(ctx); err != nil {
				s.log.Warn("lease release failed (it will expire)", "partition", p, "err", err)
			}
			continue
		}
		// The lease value also tells the others how far the partition is applied.
		if err := r.lease.Refresh(ctx, leaseValue(s.opts.Instance, r.w.doneA.Load())); errors.Is(err, ErrLeaseLost) {
			s.log.Warn("partition lease lost; stopping it", "partition", p, "err", err)
			s.stopPart(p)
		}
	}
}

// countMembers counts the live member keys (at least this process).
func (s *Scorer) countMembers(ctx context.Context, kv jetstream.KeyValue) int {
	kl, err := kv.ListKeysFiltered(ctx, streams.MembersFilter)
	if err != nil {
		return 1
	}
	n := 0
	for range kl.Keys() {
		n++
	}
	return max(n, 1)
}

// releaseExcess releases n partitions, the most recently taken first.
func (s *Scorer) releaseExcess(ctx context.Context, runs map[int]*partRun, n, members int) {
	owned := make([]int, 0, len(runs))
	for p := range runs {
		owned = append(owned, p)
	}
	sort.Slice(owned, func(i, j int) bool { return runs[owned[i]].sinceTake.After(runs[owned[j]].sinceTake) })
	for _, p := range owned[:n] {
		s.stopPart(p)
		if err := runs[p].lease.Release(ctx); err != nil {
			s.log.Warn("lease release failed (it will expire)", "partition", p, "err", err)
		}
		s.log.Info("partition released", "partition", p, "members", members)
	}
}

// takeFree takes free partitions up to target, starting at an
// instance-specific offset so that processes starting together do not race
// for the same ones.
func (s *Scorer) takeFree(ctx context.Context, kv jetstream.KeyValue, target, members int) {
	runs := s.snapshotRuns()
	me := []byte(s.opts.Instance)
	h := fnv.New32a()
	h.Write(me)
	off := int(h.Sum32() % uint32(s.opts.Partitions))
	for i := 0; i < s.opts.Partitions && len(runs) < target; i++ {
		p := (off + i) % s.opts.Partitions
		if _, ok := runs[p]; ok {
			continue
		}
		lease := NewLease(kv, streams.PartitionLeaseKey(p), s.opts.LeaseTTL)
		if !lease.Take(ctx, me) {
			continue // held by another process (or NATS trouble: next round)
		}
		s.startPart(ctx, p, lease)
		runs[p] = nil
		s.log.Info("partition taken", "partition", p, "members", members)
	}
}

func (s *Scorer) snapshotRuns() map[int]*partRun {
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	out := make(map[int]*partRun, len(s.shared.runs))
	for p, r := range s.shared.runs {
		out[p] = r
	}
	return out
}

func (s *Scorer) startPart(ctx context.Context, p int, lease *Lease) {
	ctx, cancel := context.WithCancel(ctx)
	w := newWorker(s, p)
	w.owned = []int{p}
	r := &partRun{w: w, lease: lease, cancel: cancel, done: make(chan struct{}), sinceTake: time.Now()}
	s.shared.mu.Lock()
	s.shared.runs[p] = r
	s.shared.mu.Unlock()
	go func() {
		defer close(r.done)
		if err := s.runPart(ctx, w, p); err != nil && ctx.Err() == nil {
			s.log.Error("partition stopped", "partition", p, "err", err)
			// The next lease round releases the lease, and the partition
			// is taken again (by whoever is first) from its checkpoint.
			r.failed.Store(true)
		}
	}()
}

// stopPart stops partition p's run and waits for it; its pending standings
// are dropped (the next owner republishes after its catch-up).
func (s *Scorer) stopPart(p int) {
	s.shared.mu.Lock()
	r := s.shared.runs[p]
	delete(s.shared.runs, p)
	s.shared.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// release stops every partition and gives its lease back, so that on a
// graceful stop another process takes over at once (after a crash the
// leases expire instead).
func (s *Scorer) release(kv jetstream.KeyValue) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for p, r := range s.snapshotRuns() {
		s.stopPart(p)
		_ = r.lease.Release(ctx)
	}
	_ = kv.Delete(ctx, streams.MemberKey(s.opts.Instance))
}

// runPart scores partition p from its checkpoint with its own lane (an
// ordered consumer filtered on p) until ctx ends.
func (s *Scorer) runPart(ctx context.Context, w *worker, p int) error {
	started := time.Now()
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

// leaseValue is a partition lease's value: the holder and the EVENTS
// sequence up to which it has applied the partition.
func leaseValue(instance string, done uint64) []byte {
	return []byte(instance + " " + strconv.FormatUint(done, 10))
}

// Shared reports whether the scorer shares the partitions with other processes.
func (s *Scorer) Shared() bool { return s.shared != nil }

// Partitions is the number of EVENTS partitions.
func (s *Scorer) Partitions() int { return s.opts.Partitions }

// Progress reads, for every partition currently leased by any process, the
// EVENTS sequence up to which its holder has applied it (as of the holder's
// last lease round, at most LeaseTTL/5 old). Shared mode only.
func (s *Scorer) Progress(ctx context.Context) (map[int]uint64, error) {
	if s.shared == nil {
		return nil, errors.New("aggregator: progress: scorer not shared")
	}
	kvp := s.shared.kv.Load()
	if kvp == nil {
		return nil, errors.New("aggregator: progress: lease bucket not open yet")
	}
	return partitionProgress(ctx, *kvp, s.opts.Partitions) // cut_client.go
}
