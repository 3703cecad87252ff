package aggregator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Rule versions (CONTRACT.md §3): the standings of a window are those of the
// contest's current version applied to all of the window's events. When a
// worker sees that the contests in force changed (a new version, a new
// contest), it re-scores, on its own goroutine and so between two events of
// its partitions, every open window of the changed contest: it reads its
// partitions' events again from the stream, from the earliest start of an
// open window (minus the future skew), up to the last event it applied, with
// the live Engine holding only the new version (and the same freezes), then
// swaps the users' state of those windows and publishes the new standings
// (and removals). Events after that point are scored by the new version as
// they come. The result equals a replay of the stream with the new version,
// whenever the worker got to it. A window that is final (past end + lateness,
// or closed by finalize) keeps the state of the version it was finalized
// with. See docs/versions.md.

// ruleSync remembers which contest (pointer, so version) a worker's state was
// built with.
type ruleSync struct {
	set   *contest.RuleSet
	built map[string]*contest.Contest
}

func newRuleSync(r *contest.Registry) ruleSync {
	s := r.Current()
	built := make(map[string]*contest.Contest, len(s.All()))
	for _, c := range s.All() {
		built[c.ID] = c
	}
	return ruleSync{set: s, built: built}
}

// rescoreTimeout bounds one re-read of the stream.
const rescoreTimeout = 5 * time.Minute

// syncRules re-scores the open windows of every contest that changed since
// the worker last looked. Cheap when nothing changed.
func (w *worker) syncRules(ctx context.Context) {
	cur := w.s.opts.Rules.Current()
	if cur == w.rs.set {
		return
	}
	old := w.rs.built
	built := make(map[string]*contest.Contest, len(cur.All()))
	w.rs = ruleSync{set: cur, built: built}
	for _, c := range cur.All() {
		built[c.ID] = c
		if old[c.ID] == c {
			continue
		}
		t0 := time.Now()
		n, err := w.rescore(ctx, c)
		if err != nil {
			if ctx.Err() == nil {
				w.s.log.Error("re-score after a rule change failed; retrying", "contest", c.ID, "version", c.Version, "err", err)
			}
			built[c.ID] = old[c.ID] // retried on the next look
			w.rs.set = nil
			continue
		}
		w.s.m.Rescores.Inc()
		w.s.log.Info("open windows re-scored with the contest version in force", "contest", c.ID,
			"version", c.Version, "events", n, "partitions", len(w.owned), "took", time.Since(t0))
	}
}

// openWindows returns the windows of c that still take events at now: not
// past end + lateness, not closed by an operator.
func (w *worker) openWindows(c *contest.Contest, now time.Time) map[int64]contest.Window {
	out := map[int64]contest.Window{}
	for _, win := range c.WindowsBetween(now.Add(-c.Lateness), now.Add(w.s.opts.MaxFutureSkew+time.Second)) {
		if !now.Before(win.End.Add(c.Lateness)) {
			continue
		}
		if at, closed := w.s.opts.Rules.ClosedAt(c.ID, win.Key()); closed && !now.Before(at) {
			continue
		}
		out[win.Key()] = win
	}
	return out
}

// rescore re-scores the open windows of c on the worker's partitions and
// returns the number of events read again.
func (w *worker) rescore(ctx context.Context, c *contest.Contest) (int, error) {
	open := w.openWindows(c, time.Now())
	if len(open) == 0 {
		return 0, nil
	}
	var from time.Time
	for _, win := range open {
		if from.IsZero() || win.Start.Before(from) {
			from = win.Start
		}
	}
	from = from.Add(-w.s.opts.MaxFutureSkew - time.Second)
	// The new version alone, with the freezes in force.
	only := w.s.opts.Rules.WithOnly([]*contest.Contest{c})
	scratch := NewEngine(only, w.s.opts.MaxFutureSkew)
	n, err := w.reread(ctx, from, scratch)
	if err != nil {
		return n, err
	}
	for _, p := range w.owned {
		w.swapWindows(p, c.ID, open, scratch.part(p))
	}
	return n, nil
}

// reread feeds the worker's partitions' events from arrival time from up to
// what each partition has applied to eng.
func (w *worker) reread(ctx context.Context, from time.Time, eng *Engine) (int, error) {
	var upTo uint64
	owned := map[int]uint64{}
	for _, p := range w.owned {
		last := w.part(p).last
		owned[p] = last
		upTo = max(upTo, last)
	}
	if upTo == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, rescoreTimeout)
	defer cancel()
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &from}
	if len(w.owned) == 1 {
		cfg.FilterSubjects = []string{streams.PartitionFilter(w.owned[0])}
	}
	cons, err := w.s.opts.JS.OrderedConsumer(ctx, streams.Events, cfg)
	if err != nil {
		return 0, fmt.Errorf("aggregator: re-score: consumer: %w", err)
	}
	n, empty := 0, 0
	for {
		batch, err := cons.Fetch(1024, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return n, fmt.Errorf("aggregator: re-score: fetch: %w", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			seq := meta.Sequence.Stream
			if seq > upTo {
				return n, nil
			}
			p, _, _, ok := streams.ParseEventSubject(m.Subject())
			if last, mine := owned[p]; !ok || !mine || seq > last {
				continue
			}
			eng.Apply(StoredEvent{Subject: m.Subject(), Data: m.Data(), Seq: seq, Time: meta.Timestamp})
			n++
			if meta.NumPending == 0 {
				return n, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return n, fmt.Errorf("aggregator: re-score: batch: %w", err)
		}
		if got == 0 {
			// Nothing after from (or up to upTo) left to read; an ordered
			// consumer being recreated can also answer empty once.
			if empty++; empty == 3 {
				return n, nil
			}
			continue
		}
		empty = 0
	}
}

// swapWindows replaces partition p's state of contest id in the open windows
// by the re-scored one, and makes the difference pending on SCORES.
func (w *worker) swapWindows(p int, id string, open map[int64]contest.Window, fresh *partState) {
	ps := w.part(p)
	type sk struct {
		board contest.BoardID
		user  string
	}
	gone := map[sk]bool{}
	ps.sweep(func(k uwKey, uw *contest.WindowState) bool {
		if _, ok := open[k.window]; !ok || k.contest != id {
			return true
		}
		uw.Standings(func(div string, _ contest.Standing) {
			gone[sk{contest.BoardID{Contest: id, Window: k.window, Division: div}, k.user}] = true
		})
		return false
	})
	fresh.eachWindow(func(k uwKey, uw *contest.WindowState) {
		if _, ok := open[k.window]; !ok || k.contest != id {
			return
		}
		uw = ps.addWindow(k, *uw) // fresh is dropped: its state moves
		uw.Standings(func(div string, st contest.Standing) {
			b := contest.BoardID{Contest: id, Window: k.window, Division: div}
			delete(gone, sk{b, k.user})
			w.pending.put(b, k.user, ScoreMsg{Standing: st, SrcSeq: ps.last})
		})
	})
	for g := range gone {
		w.pending.put(g.board, g.user, ScoreMsg{Removed: true, SrcSeq: ps.last})
	}
}
