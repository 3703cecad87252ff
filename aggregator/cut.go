package aggregator

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Exact cuts with a shared scorer (no barrier across processes). The
// snapshotter asks for cut n by writing it to the lease bucket's key
// cut.request; every process watches the key. Each partition's worker, at its
// next flush after seeing n, publishes its pending standings and then a cut
// marker on SCORES (subject scores.~cut.<partition>: n and the last EVENTS
// sequence it applied), and from then on holds its standings back (it keeps
// applying events) until the snapshotter writes n to cut.release, or for
// cutHold at most. The ranker applies SCORES in stream order, so once it has
// applied the markers of n of every partition, its boards reflect exactly,
// per partition p, the events up to the sequence in p's marker, and nothing
// of p after it: the snapshotter copies the boards then, with that vector as
// the snapshot's cut, and releases the workers. Replay --verify replays each
// partition up to its entry.

// Keys and subjects of the cut protocol.
const (
	cutRequestKey = "cut.request"
	cutReleaseKey = "cut.release"
	cutFilter     = "cut.*"
	cutSubject    = "scores.~cut." // + partition
)

// cutHold bounds how long a worker holds its standings for a cut; a
// snapshotter that has not copied the boards by then gives the cut up.
const cutHold = 10 * time.Second

// CutWait is how long the snapshotter waits for every partition's marker.
const CutWait = 3 * time.Second

// cutState is a process's view of the cut keys.
type cutState struct {
	req atomic.Uint64
	rel atomic.Uint64
}

// cutMark is what the ranker last read from a partition's marker.
type cutMark struct {
	n   uint64
	seq uint64
	fp  uint64 // the contest versions the partition's standings reflect
}

// cutFingerprint is the short fingerprint of a set of contest versions that
// cut markers carry: a cut whose partitions reflect different versions (one
// process has not picked a new version up yet) is not exact.
func cutFingerprint(cs []*contest.Contest) uint64 {
	fp := fingerprintOf(cs, nil)
	return binary.BigEndian.Uint64(fp[:8])
}

// CutFingerprint is cutFingerprint of the rules in force.
func CutFingerprint(r *contest.Registry) uint64 { return cutFingerprint(r.All()) }

// ErrCutRules: the partitions' standings of a cut reflect other contest
// versions than the snapshotter's.
var ErrCutRules = errors.New("aggregator: cut: partitions under other contest versions")

func cutPartition(subj string) (int, bool) {
	rest, ok := strings.CutPrefix(subj, cutSubject)
	if !ok {
		return 0, false
	}
	p, err := strconv.Atoi(rest)
	return p, err == nil
}

// watchCuts follows the cut keys of the lease bucket until ctx ends.
func (s *Scorer) watchCuts(ctx context.Context, kv jetstream.KeyValue) {
	for ctx.Err() == nil {
		w, err := kv.Watch(ctx, cutFilter, jetstream.UpdatesOnly())
		if err != nil {
			s.log.Warn("cut watch failed, retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			n, err := strconv.ParseUint(string(e.Value()), 10, 64)
			if err != nil {
				continue
			}
			switch e.Key() {
			case cutRequestKey:
				s.shared.cut.req.Store(n)
			case cutReleaseKey:
				s.shared.cut.rel.Store(n)
			}
		}
		_ = w.Stop()
	}
}

// RequestCut asks every partition's holder, in whichever process, for a cut
// and returns its number. Shared mode only; ReleaseCut must follow.
func (s *Scorer) RequestCut(ctx context.Context) (uint64, error) {
	kv, err := s.leaseKV()
	if err != nil {
		return 0, err
	}
	return requestCut(ctx, kv)
}

// ReleaseCut lets the workers held for cut n publish again.
func (s *Scorer) ReleaseCut(ctx context.Context, n uint64) error {
	kv, err := s.leaseKV()
	if err != nil {
		return err
	}
	return releaseCut(ctx, kv, n)
}

func (s *Scorer) leaseKV() (jetstream.KeyValue, error) {
	if s.shared == nil {
		return nil, errors.New("aggregator: cut: scorer not shared")
	}
	kvp := s.shared.kv.Load()
	if kvp == nil {
		return nil, errors.New("aggregator: cut: lease bucket not open yet")
	}
	return *kvp, nil
}

// holdForCut is called before each flush: it answers a new cut request
// (publish what is pending, then the marker) and reports whether standings
// are to be held back now.
func (w *worker) holdForCut(ctx context.Context) bool {
	if w.s.shared == nil || !w.live || len(w.owned) != 1 {
		return false
	}
	cs := &w.s.shared.cut
	if req := cs.req.Load(); req > w.cutSeen {
		w.cutSeen = req
		w.syncRules(ctx) // the marker tells the versions the standings reflect
		w.flushNow(ctx)
		if w.pending.len() == 0 && w.publishCutMark(req) {
			w.cutHeld, w.cutUntil = req, time.Now().Add(cutHold)
		}
	}
	if w.cutHeld == 0 {
		return false
	}
	if cs.rel.Load() >= w.cutHeld || time.Now().After(w.cutUntil) {
		w.cutHeld = 0
		return false
	}
	return true
}

func (w *worker) publishCutMark(n uint64) bool {
	p := w.owned[0]
	data := binary.BigEndian.AppendUint64(nil, n)
	data = binary.BigEndian.AppendUint64(data, w.part(p).last)
	var fp uint64 // 0: a re-score is still to be done, matches no rules
	if w.rs.set != nil {
		fp = cutFingerprint(w.rs.set.All())
	}
	data = binary.BigEndian.AppendUint64(data, fp)
	if _, err := w.s.opts.JS.PublishAsync(cutSubject+strconv.Itoa(p), data, noRetry); err != nil {
		w.s.m.PublishErrors.WithLabelValues(streams.Scores).Inc()
		w.s.log.Warn("cut marker publish failed", "partition", p, "err", err)
		return false
	}
	return true
}

// applyCut records a cut marker; it reports whether subj was one. Under r.mu.
func (r *Ranker) applyCut(subj string, data []byte) bool {
	p, ok := cutPartition(subj)
	if !ok {
		return false
	}
	if len(data) == 24 {
		if r.cuts == nil {
			r.cuts = map[int]cutMark{}
		}
		r.cuts[p] = cutMark{n: binary.BigEndian.Uint64(data), seq: binary.BigEndian.Uint64(data[8:]),
			fp: binary.BigEndian.Uint64(data[16:])}
	}
	return true
}

// CutCopies returns copies of the boards ids and the cut (per partition, the
// last EVENTS sequence reflected) once the ranker has applied cut n's marker
// of every one of the partitions; ok false before that. ErrCutRules when a
// partition's marker tells other contest versions than fp (CutFingerprint).
func (r *Ranker) CutCopies(n uint64, partitions int, ids []contest.BoardID, fp uint64) (cut []uint64, scoresSeq uint64,
	copies map[contest.BoardID]CopiedBoard, ok bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cut = make([]uint64, partitions)
	for p := range partitions {
		m, have := r.cuts[p]
		if !have || m.n != n {
			return nil, 0, nil, false, nil
		}
		if m.fp != fp {
			return nil, 0, nil, false, fmt.Errorf("%w: partition %d", ErrCutRules, p)
		}
		cut[p] = m.seq
	}
	return cut, r.applied, r.copyBoards(ids), true, nil
}
