package snapshotter

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// sharedCut is the exact cut with a shared scorer: every partition's holder
// is asked to publish its standings and a cut marker, then to hold its
// standings back; once the ranker has applied every marker the boards are
// copied with the per-partition cut, and the holders are released (see
// aggregator/cut.go). The holders first catch up with the stream as it was
// at the start, so the cut covers at least that.
// sharedCutAttempts is how many cuts a snapshot asks for before it falls
// back to settling: a cut missed by a partition that was busy or changing
// hands (CutWait) is asked for again with a new number.
const sharedCutAttempts = 3

// sharedCutRetried is sharedCut asked up to sharedCutAttempts times.
func (s *Snapshotter) sharedCutRetried(ctx context.Context, ids []contest.BoardID) (Cut, map[contest.BoardID]aggregator.CopiedBoard, error) {
	var err error
	for attempt := 1; attempt <= sharedCutAttempts; attempt++ {
		var cut Cut
		var copies map[contest.BoardID]aggregator.CopiedBoard
		cut, copies, err = s.sharedCut(ctx, ids)
		if err == nil || ctx.Err() != nil {
			return cut, copies, err
		}
		s.log.Info("shared cut missed; asking again", "attempt", attempt, "err", err)
	}
	return Cut{}, nil, err
}

func (s *Snapshotter) sharedCut(ctx context.Context, ids []contest.BoardID) (Cut, map[contest.BoardID]aggregator.CopiedBoard, error) {
	if err := s.waitShared(ctx); err != nil {
		return Cut{}, nil, fmt.Errorf("snapshotter: scorers to catch up: %w", err)
	}
	sc := s.opts.Scorer
	n, err := sc.RequestCut(ctx)
	if err != nil {
		return Cut{}, nil, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := sc.ReleaseCut(rctx, n); err != nil {
			s.log.Warn("cut release failed; the scorers resume on their own", "err", err)
		}
	}()
	t1 := time.Now()
	deadline := t1.Add(aggregator.CutWait)
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	fp := aggregator.CutFingerprint(s.opts.Rules)
	for {
		cut, scoresSeq, copies, ok, err := s.opts.Ranker.CutCopies(n, sc.Partitions(), ids, fp)
		if err != nil {
			return Cut{}, nil, err
		}
		if ok {
			s.m.CopySeconds.Observe(time.Since(t1).Seconds())
			return Cut{EventsSeq: slices.Max(cut), EventsCut: cut, ScoresSeq: scoresSeq, Quiet: true}, copies, nil
		}
		if time.Now().After(deadline) {
			return Cut{}, nil, fmt.Errorf("snapshotter: cut %d: not every partition answered within %s", n, aggregator.CutWait)
		}
		select {
		case <-ctx.Done():
			return Cut{}, nil, fmt.Errorf("snapshotter: cut: %w", ctx.Err())
		case <-tk.C:
		}
	}
}
