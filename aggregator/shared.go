package aggregator

import (
	"context"
	"errors"
	"fmt"
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
// LeaseTTL after their last write. Every owned partition has its own run
// (worker: engine, standings, checkpoints; an ordered consumer filtered on
// the partition; a keeper goroutine refreshing its lease, shared_part.go):
// it starts from the partition's latest checkpoint, whoever wrote it.
//
// Each lease round (every LeaseTTL/5) a process refreshes its member key,
// drops the runs that stopped by themselves (lease lost: not released;
// failed: released, so anyone takes the partition again), counts the live
// members, and moves towards its fair share ceil(partitions/members): it
// releases its most recently taken partitions beyond it (a graceful handover:
// the run stops, then the lease is deleted, so the next owner can take it at
// once), or takes free ones (Create fails while anyone holds one). A dead
// process's leases expire after LeaseTTL and are taken within one more
// round. A round that cannot count the members changes nothing.

type sharedState struct {
	kv     atomic.Pointer[jetstream.KeyValue]
	mu     sync.Mutex
	runs   map[int]*partRun
	rounds atomic.Int64 // lease rounds done
	cut    cutState     // cut keys as last seen (cut.go)
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
	for p, r := range s.shared.runs {
		if !r.ended() {
			out = append(out, p)
		}
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
		if !r.w.handedA.Load() {
			return false
		}
	}
	return true
}

// noteHanded records, after a flush, that the worker is live and nothing is
// pending: every standing its catch-up changed has been handed to the
// client (a shared partition is caught up only then, as a single-mode
// scorer is once its going-live flush returned). A going-live flush held by
// a cut, or with refused publishes put back, leaves it to a later flush.
func (w *worker) noteHanded() {
	if w.live && w.pending.len() == 0 && !w.handedA.Load() {
		w.handedA.Store(true)
	}
}

// sharedUpToDate: this process's partitions have caught up, and every
// partition that has events is applied up to its last one by its holder,
// whichever process that is (this one's runs as of now, the others' as of
// their last lease refresh). A partition nobody holds is not up to date.
func (s *Scorer) sharedUpToDate(ctx context.Context) (bool, error) {
	if !s.sharedCaughtUp() {
		return false, nil
	}
	kvp := s.shared.kv.Load()
	if kvp == nil {
		return false, nil
	}
	prog, err := partitionProgress(ctx, *kvp, s.opts.Partitions)
	if err != nil {
		return false, err
	}
	runs := s.snapshotRuns()
	for p := 0; p < s.opts.Partitions; p++ {
		last, err := Lane{JS: s.opts.JS, Partition: p}.lastAtStart(ctx)
		if err != nil {
			return false, err
		}
		done, held := prog[p]
		if r, ok := runs[p]; ok && !r.ended() {
			done, held = r.w.doneA.Load(), true
		}
		if last > 0 && (!held || done < last) {
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
	lnc, ljs, err := streams.LeaseConn(s.opts.JS)
	if err != nil {
		return err
	}
	defer lnc.Close()
	kv, err := streams.EnsureLeases(ctx, ljs, s.opts.LeaseTTL, s.opts.Replicas)
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

// leaseRound refreshes the member key, drops the runs that stopped, counts
// the members, and takes or releases partitions.
func (s *Scorer) leaseRound(ctx context.Context, kv jetstream.KeyValue) {
	if s.connClosed() {
		return // the keepers stop the runs; the leases expire
	}
	ttl := s.opts.LeaseTTL
	mctx, cancel := context.WithTimeout(ctx, ttl/2)
	_, err := kv.Put(mctx, streams.MemberKey(s.opts.Instance), []byte(s.opts.Instance))
	cancel()
	if err != nil && ctx.Err() == nil {
		s.log.Warn("member refresh failed", "err", err)
	}
	defer s.ownedGauges()
	for p, r := range s.snapshotRuns() {
		if r.ended() {
			s.dropPart(ctx, p)
		}
	}
	if ctx.Err() != nil {
		return
	}
	members, err := s.countMembers(ctx, kv)
	if err != nil {
		s.log.Warn("members not counted; lease round skipped", "err", err)
		return
	}
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

// countMembers counts the live member keys (at least this process).
func (s *Scorer) countMembers(ctx context.Context, kv jetstream.KeyValue) (int, error) {
	lctx, cancel := context.WithTimeout(ctx, s.opts.LeaseTTL/2)
	defer cancel()
	kl, err := kv.ListKeysFiltered(lctx, streams.MembersFilter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("aggregator: members: %w", err)
	}
	n := 0
	for range kl.Keys() {
		n++
	}
	if lctx.Err() != nil {
		return 0, fmt.Errorf("aggregator: members: %w", lctx.Err())
	}
	return max(n, 1), nil
}

// releaseExcess releases n partitions, the most recently taken first.
func (s *Scorer) releaseExcess(ctx context.Context, runs map[int]*partRun, n, members int) {
	owned := make([]int, 0, len(runs))
	for p := range runs {
		owned = append(owned, p)
	}
	sort.Slice(owned, func(i, j int) bool { return runs[owned[i]].sinceTake.After(runs[owned[j]].sinceTake) })
	var wg sync.WaitGroup
	for _, p := range owned[:n] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.dropPart(ctx, p)
			s.log.Info("partition released", "partition", p, "members", members)
		}()
	}
	wg.Wait()
}

// takeFree takes free partitions up to target, in the order of an
// instance-specific offset so that processes starting together do not race
// for the same ones; the takes of a batch go out together (one round trip
// for a share, not one per partition).
func (s *Scorer) takeFree(ctx context.Context, kv jetstream.KeyValue, target, members int) {
	runs := s.snapshotRuns()
	me := []byte(s.opts.Instance)
	h := fnv.New32a()
	h.Write(me)
	off := int(h.Sum32() % uint32(s.opts.Partitions))
	var cands []int
	for i := 0; i < s.opts.Partitions; i++ {
		if p := (off + i) % s.opts.Partitions; runs[p] == nil {
			cands = append(cands, p)
		}
	}
	for have := len(runs); have < target && len(cands) > 0 && ctx.Err() == nil; {
		batch := cands[:min(target-have, len(cands))]
		cands = cands[len(batch):]
		leases := make([]*Lease, len(batch))
		var wg sync.WaitGroup
		tctx, cancel := context.WithTimeout(ctx, s.opts.LeaseTTL/2)
		for i, p := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if l := NewLease(kv, streams.PartitionLeaseKey(p), s.opts.LeaseTTL); l.Take(tctx, me) {
					leases[i] = l
				} // else held by another process (or NATS trouble: next round)
			}()
		}
		wg.Wait()
		cancel()
		for i, l := range leases {
			if l != nil {
				s.startPart(ctx, batch[i], l)
				have++
				s.log.Info("partition taken", "partition", batch[i], "members", members)
			}
		}
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

// release stops every partition and gives its lease back, so that on a
// graceful stop another process takes over at once (after a crash the
// leases expire instead).
func (s *Scorer) release(kv jetstream.KeyValue) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for p := range s.snapshotRuns() {
		s.dropPart(ctx, p)
	}
	if !s.connClosed() {
		_ = kv.Delete(ctx, streams.MemberKey(s.opts.Instance))
	}
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
