package aggregator

import (
	"context"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Releasing finished windows (retention.finished_windows). A window whose
// end + lateness + FinishedWindows is before the ranker's stream time (the
// latest SCORES timestamp) is final and paid long ago: its boards leave the
// ranker, their metric series go, the read model drops its keys and SCORES
// its standings (so a restart does not load them again). The snapshots in
// Postgres keep the record. The read-model keys also carry that time as
// their Redis expiry, should the release itself never run.

// releaseTimeout bounds the read-model and SCORES calls of one release.
const releaseTimeout = 5 * time.Second

type windowID struct {
	contest string
	window  int64
}

// windowEnd is when a window's state may be released; zero: never.
func (r *Ranker) expireAt(id contest.BoardID) time.Time {
	if r.opts.FinishedWindows <= 0 {
		return time.Time{}
	}
	c := r.opts.Rules.Get(id.Contest)
	if c == nil {
		return time.Time{}
	}
	win, ok := c.WindowAt(time.Unix(id.Window, 0))
	if !ok {
		return time.Time{}
	}
	return win.End.Add(c.Lateness + r.opts.FinishedWindows)
}

// releaseFinished releases every window past retention (ranker goroutine).
func (r *Ranker) releaseFinished(ctx context.Context, scores jetstream.Stream) {
	if r.opts.FinishedWindows <= 0 {
		return
	}
	r.mu.Lock()
	gone := map[windowID][]string{}
	expiry := map[windowID]time.Time{}
	for id := range r.boards {
		w := windowID{id.Contest, id.Window}
		at, ok := expiry[w]
		if !ok {
			at = r.expireAt(id)
			expiry[w] = at
		}
		if at.IsZero() || !r.now.After(at) {
			continue
		}
		gone[w] = append(gone[w], id.Division)
		delete(r.boards, id)
		r.m.BoardEntries.DeleteLabelValues(id.Contest, strconv.FormatInt(id.Window, 10), id.Division)
	}
	r.m.Boards.Set(float64(len(r.boards)))
	r.mu.Unlock()
	for w, divs := range gone {
		r.m.ReleasedWindows.Inc()
		r.log.Info("finished window released", "contest", w.contest, "window", time.Unix(w.window, 0).UTC(), "boards", len(divs))
		var mine []string
		for _, d := range divs {
			if r.Owns(contest.BoardID{Contest: w.contest, Window: w.window, Division: d}) {
				mine = append(mine, d)
			}
		}
		if len(mine) == 0 {
			continue // the holders of the boards' groups release the shared stores
		}
		r.releaseStores(ctx, scores, w, mine)
	}
}

// Releaser is implemented by a sink that keeps boards of its own (the Redis
// read model): Release drops the boards of a released window.
type Releaser interface {
	Release(ctx context.Context, contestID string, window int64, divisions []string) error
}

// releaseStores drops a released window's boards from the sinks and its
// standings from SCORES (idempotent: several owners of its boards may).
func (r *Ranker) releaseStores(ctx context.Context, scores jetstream.Stream, w windowID, divs []string) {
	rctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	for _, s := range r.opts.Sinks {
		if rel, ok := s.(Releaser); ok {
			if err := rel.Release(rctx, w.contest, w.window, divs); err != nil {
				r.log.Warn("sink release failed; its keys expire by themselves", "sink", s.Name(), "err", err)
			}
		}
	}
	for _, filter := range streams.ScoresWindowFilters(w.contest, w.window) {
		if err := scores.Purge(rctx, jetstream.WithPurgeSubject(filter)); err != nil {
			r.log.Warn("SCORES purge of a released window failed; the next start releases it again", "filter", filter, "err", err)
		}
	}
}
