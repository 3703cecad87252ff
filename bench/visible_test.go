package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// finalScores is the score every user of the bench contest's board has once
// all of msgs are applied, from an engine of its own (computed before any
// phase, outside the measurement). It is what a door's phase waits for in
// Redis: scored, ranked and in the read model, the state the row
// counts (not "the ranker read the last SCORES message it saw").
func finalScores(tb testing.TB, msgs []msg) map[string]int64 {
	eng := aggregator.NewEngine(contest.NewRegistry(benchContests(tb)), 0)
	now := time.Now()
	for i, m := range msgs {
		// events.<provider>.<user> as published; the engine reads the stored
		// subject, events.<partition>.<provider>.<user> (one partition here:
		// a user's state is the same in any).
		rest, ok := strings.CutPrefix(m.subj, "events.")
		if !ok {
			tb.Fatalf("bench message subject %q", m.subj)
		}
		d := eng.Apply(aggregator.StoredEvent{Subject: "events.0." + rest, Data: m.body, Seq: uint64(i + 1), Time: now})
		if d.Invalid != nil {
			tb.Fatalf("bench event %d invalid: %v", i, d.Invalid)
		}
	}
	want := map[string]int64{}
	eng.Standings(func(_ contest.BoardID, user string, st contest.Standing) { want[user] = st.Score })
	return want
}

// visibleWaiter waits until a pipeline's Redis read model holds want.
// Checks go from cheap to costly, each only when the cheaper one passed and
// something changed since it last failed: the scorer has applied every event
// (an atomic), the ranker's board equals want (in memory, only after the
// ranker applied more standings), then Redis equals want (one read of the
// board, only after the ranker's board matched and Redis changed). It asks
// NATS nothing while the phase runs.
type visibleWaiter struct {
	a       *app.App
	rd      *readmodel.Reader
	want    map[string]int64
	events  uint64    // EVENTS messages of the phase (all distinct)
	applied uint64    // ranker's AppliedScores at its last failed check
	ranked  bool      // the ranker's board matched want
	updated time.Time // Redis meta updated_at at the last failed read
}

func (v *visibleWaiter) rankerMatches(id contest.BoardID) bool {
	n := v.a.Ranker.AppliedScores()
	if n == v.applied {
		return false
	}
	v.applied = n
	rows := v.a.Ranker.Board(id)
	if len(rows) != len(v.want) {
		return false
	}
	for _, r := range rows {
		if s, ok := v.want[r.User]; !ok || s != r.Standing.Score {
			return false
		}
	}
	return true
}

func (v *visibleWaiter) redisMatches(ctx context.Context, id contest.BoardID) (bool, error) {
	meta, ok, err := v.rd.Meta(ctx, id)
	if err != nil || !ok || meta.UpdatedAt.Equal(v.updated) {
		return false, err
	}
	up := meta.UpdatedAt
	rows, total, _, err := v.rd.Top(ctx, id, 0, len(v.want)+1)
	if err != nil {
		return false, fmt.Errorf("read board: %w", err)
	}
	if int(total) != len(v.want) || len(rows) != len(v.want) {
		v.updated = up
		return false, nil
	}
	for _, r := range rows {
		if s, ok := v.want[r.User]; !ok || s != r.Score {
			v.updated = up
			return false, nil
		}
	}
	return true, nil
}

// wait polls until the read model holds want; it returns when (after start)
// the scorer had applied every event and when Redis held the final board.
func (v *visibleWaiter) wait(ctx context.Context, start time.Time) (scored, visible time.Duration, err error) {
	for ctx.Err() == nil {
		if scored == 0 && v.a.Scorer.Processed() >= v.events {
			scored = time.Since(start)
		}
		if scored != 0 {
			if ids := v.a.Ranker.BoardIDs(); len(ids) == 1 {
				if !v.ranked {
					v.ranked = v.rankerMatches(ids[0])
				}
				if v.ranked {
					ok, err := v.redisMatches(ctx, ids[0])
					if err != nil {
						return 0, 0, err
					}
					if ok {
						return scored, time.Since(start), nil
					}
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, 0, fmt.Errorf("pipeline did not finish: %w", ctx.Err())
}

// scoresWritten is how many SCORES messages the phase wrote (read after it).
func scoresWritten(ctx context.Context, a *app.App) uint64 {
	scs, err := a.Streams.JS.Stream(ctx, streams.Scores)
	if err != nil {
		return 0
	}
	si, err := scs.Info(ctx)
	if err != nil {
		return 0
	}
	return si.State.LastSeq
}
