package snapshotter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Cut is the point of the streams a snapshot covers.
type Cut struct {
	EventsSeq uint64 // every event up to it is reflected in the boards
	// EventsCut (shared scorer): per partition, the last EVENTS sequence
	// reflected, nothing after it (cut.go in aggregator).
	EventsCut []uint64
	ScoresSeq uint64 // the ranker has applied SCORES up to it
	Quiet     bool   // no standing was published while settling: the cut is exact
}

// sync waits until the scorer has processed the EVENTS stream as it is now
// and the ranker has applied what the scorer published for it. It then waits
// for SCORES to stay still for settle (the scorer's workers flush on their
// own clocks); under steady traffic it gives up on quiet after a few tries,
// and the cut still covers EventsSeq.
//
// The single-process scorer is instead held at a Barrier (every event up to
// a sequence applied and published, none after), the ranker applies SCORES
// up to its end and the boards are copied before the scorer is released:
// an exact cut under any traffic, for a pause of the pipeline of the order
// of a tick plus the copy.
func (s *Snapshotter) sync(ctx context.Context, ids []contest.BoardID) (Cut, map[contest.BoardID]aggregator.CopiedBoard, error) {
	t0 := time.Now()
	defer func() { s.m.SyncSeconds.Observe(time.Since(t0).Seconds()) }()
	ctx, cancel := context.WithTimeout(ctx, s.opts.SyncTimeout)
	defer cancel()
	ev, err := s.lastSeq(ctx, streams.Events)
	if err != nil {
		return Cut{}, nil, err
	}
	if !s.opts.Scorer.Shared() {
		if err := s.waitFor(ctx, func() bool {
			return s.opts.Scorer.CaughtUp() && s.opts.Scorer.Processed() >= ev
		}); err != nil {
			return Cut{}, nil, fmt.Errorf("snapshotter: scorer to reach events seq %d: %w", ev, err)
		}
		seq, exact, release, err := s.opts.Scorer.Barrier(ctx)
		if err == nil {
			defer release()
			t1 := time.Now()
			sc, err := s.lastSeq(ctx, streams.Scores)
			if err != nil {
				return Cut{}, nil, err
			}
			if err := s.waitFor(ctx, func() bool {
				return s.opts.Ranker.Ready() && s.opts.Ranker.Processed() >= sc
			}); err != nil {
				return Cut{}, nil, fmt.Errorf("snapshotter: ranker to reach scores seq %d: %w", sc, err)
			}
			copies := s.opts.Ranker.BoardCopies(ids)
			s.m.CopySeconds.Observe(time.Since(t1).Seconds())
			return Cut{EventsSeq: seq, ScoresSeq: sc, Quiet: exact}, copies, nil
		}
		s.log.Warn("scorer barrier unavailable; cut by settling", "err", err)
	} else {
		cut, copies, err := s.sharedCutRetried(ctx, ids)
		if err == nil {
			return cut, copies, nil
		}
		s.log.Warn("shared cut failed; cut by settling (not exact under traffic)", "err", err)
	}
	cut, err := s.settle(ctx, ev)
	if err != nil {
		return Cut{}, nil, err
	}
	t1 := time.Now()
	cut.ScoresSeq = max(cut.ScoresSeq, s.opts.Ranker.Processed())
	copies := s.opts.Ranker.BoardCopies(ids)
	s.m.CopySeconds.Observe(time.Since(t1).Seconds())
	return cut, copies, nil
}

// settle is the cut without a barrier (shared mode): wait until every
// partition has applied the stream as of ev and SCORES stays still for a
// moment; under steady traffic the boards may reflect events after ev.
func (s *Snapshotter) settle(ctx context.Context, ev uint64) (Cut, error) {
	if s.opts.Scorer.Shared() {
		if err := s.waitShared(ctx); err != nil {
			return Cut{}, fmt.Errorf("snapshotter: scorers to reach events seq %d: %w", ev, err)
		}
	} else if err := s.waitFor(ctx, func() bool {
		return s.opts.Scorer.CaughtUp() && s.opts.Scorer.Processed() >= ev
	}); err != nil {
		return Cut{}, fmt.Errorf("snapshotter: scorer to reach events seq %d: %w", ev, err)
	}
	var cut Cut
	for try := 0; try < 5; try++ {
		sc, err := s.lastSeq(ctx, streams.Scores)
		if err != nil {
			return Cut{}, err
		}
		if err := s.waitFor(ctx, func() bool {
			return s.opts.Ranker.Ready() && s.opts.Ranker.Processed() >= sc
		}); err != nil {
			return Cut{}, fmt.Errorf("snapshotter: ranker to reach scores seq %d: %w", sc, err)
		}
		cut = Cut{EventsSeq: ev, ScoresSeq: sc}
		select {
		case <-ctx.Done():
			return Cut{}, fmt.Errorf("snapshotter: settle: %w", ctx.Err())
		case <-time.After(s.opts.Settle):
		}
		sc2, err := s.lastSeq(ctx, streams.Scores)
		if err != nil {
			return Cut{}, err
		}
		if sc2 == sc {
			cut.Quiet = true
			return cut, nil
		}
	}
	return cut, nil
}

// waitShared waits until every partition, whichever process scores it, has
// applied the partition's last event as of now (which is at or after the
// cut's EventsSeq). The holders report their progress in the partition
// leases (aggregator.Scorer.Progress).
func (s *Snapshotter) waitShared(ctx context.Context) error {
	st, err := s.opts.JS.Stream(ctx, streams.Events)
	if err != nil {
		return fmt.Errorf("events stream: %w", err)
	}
	targets := map[int]uint64{}
	for p := range s.opts.Scorer.Partitions() {
		m, err := st.GetLastMsgForSubject(ctx, streams.PartitionFilter(p))
		switch {
		case err == nil:
			targets[p] = m.Sequence
		case errors.Is(err, jetstream.ErrMsgNotFound):
		default:
			return fmt.Errorf("partition %d last message: %w", p, err)
		}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		prog, err := s.opts.Scorer.Progress(ctx)
		if err == nil {
			behind := 0
			for p, want := range targets {
				if prog[p] < want {
					behind++
				}
			}
			if behind == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Snapshotter) lastSeq(ctx context.Context, name string) (uint64, error) {
	st, err := s.opts.JS.Stream(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("snapshotter: stream %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("snapshotter: stream %s info: %w", name, err)
	}
	return info.State.LastSeq, nil
}

func (s *Snapshotter) waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
