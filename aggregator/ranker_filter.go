package aggregator

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// The group filter (docs/architecture.md, "SCORES subjects and the group
// filter"). With board groups a ranker process reads only the standings of
// the groups it holds: its SCORES consumer filters on
// scores.<groups>.<group>.> of each held group (one ordered consumer, one
// filter subject per group, so the stream order across groups, and with it
// the cut markers' meaning, is kept), plus the cut markers and the subjects
// of older schemes (legacy and other group counts), which it drops when
// not its group. When it gains a group it re-creates the consumer from the
// start of SCORES (the groups it had skip what they applied: a sequence per
// group) and writes the group's boards only once that consumer delivered all
// it had; when it loses one it drops the group's boards and the filter.
// Without groups (single mode) it reads all of SCORES.

// scoresFilter is the filter of a new reader: nil (all of SCORES) without
// groups. Ranker goroutine.
func (r *Ranker) scoresFilter() []string {
	if r.opts.Groups == nil {
		return nil
	}
	n := r.groupCount()
	f := []string{streams.ScoresCutFilter, streams.ScoresLegacyFilter}
	for _, g := range r.gens {
		if g != n {
			f = append(f, streams.ScoresGenerationFilter(g))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.reading)) {
		f = append(f, streams.ScoresGroupFilter(n, k))
	}
	return f
}

// recordGeneration adds this process's group count to the SCORES stream's
// list (streams.ScoresGenerationsMeta) and returns the list: the group
// counts whose subjects a reader must also read.
func (r *Ranker) recordGeneration(ctx context.Context, info *jetstream.StreamInfo) []int {
	n := r.groupCount()
	meta, added := streams.WithScoreGeneration(info.Config.Metadata, n)
	if added {
		cfg := info.Config
		cfg.Metadata = map[string]string{}
		for k, v := range meta {
			if !strings.HasPrefix(k, "_nats.") {
				cfg.Metadata[k] = v
			}
		}
		if _, err := r.opts.JS.UpdateStream(ctx, cfg); err != nil {
			r.log.Warn("SCORES group count not recorded; a later count change will not read these subjects", "groups", n, "err", err)
		}
	}
	return streams.ScoreGenerations(meta)
}

// regroup follows the groups held: a group lost is dropped, a group gained
// is loaded by a reader re-created from the start of SCORES. Ranker
// goroutine.
func (r *Ranker) regroup(ctx context.Context, rd *scoresReader) {
	g := r.opts.Groups
	if g == nil {
		return
	}
	held := g.HeldGroups()
	if len(held) == len(r.reading) && !slices.ContainsFunc(held, func(k int) bool { return !r.reading[k] }) {
		return
	}
	r.mu.Lock()
	gained := r.setReading(held)
	r.mu.Unlock()
	r.writable.Store(r.writableSet())
	from := uint64(0) // on from what was delivered
	if gained {
		from = 1
		r.m.Sinks.GroupLoads.Inc()
	}
	r.log.Info("SCORES filter follows the groups held", "groups", held, "reload", gained)
	rd.restart(ctx, "groups changed", from, nil)
}

// setReading makes held the groups read; it reports whether one is new.
// Under r.mu.
func (r *Ranker) setReading(held []int) bool {
	gained := false
	next := make(map[int]bool, len(held))
	for _, k := range held {
		next[k] = true
		if !r.reading[k] {
			gained = true
			r.lanes[k] = 0
			r.loading[k] = true
		}
	}
	for k := range r.reading {
		if !next[k] {
			r.dropGroup(k)
		}
	}
	r.reading = next
	return gained
}

// dropGroup forgets group k's boards (another process holds it). Under r.mu.
func (r *Ranker) dropGroup(k int) {
	for id, b := range r.boards {
		if b.group == k {
			delete(r.boards, id)
			r.m.BoardEntries.DeleteLabelValues(id.Contest, strconv.FormatInt(id.Window, 10), id.Division)
		}
	}
	delete(r.lanes, k)
	delete(r.loading, k)
	delete(r.groupEp, k)
	r.m.Boards.Set(float64(len(r.boards)))
}

// writableSet is the groups read and loaded. Ranker goroutine.
func (r *Ranker) writableSet() *map[int]bool {
	w := make(map[int]bool, len(r.reading))
	for k := range r.reading {
		if !r.loading[k] {
			w[k] = true
		}
	}
	return &w
}

// caughtUp is called when the reader delivered all its consumer had: the
// groups being loaded are complete. Ranker goroutine.
func (r *Ranker) caughtUp(rd *scoresReader) {
	if len(r.loading) > 0 {
		r.mu.Lock()
		clear(r.loading)
		r.mu.Unlock()
		r.writable.Store(r.writableSet())
	}
	r.advance(rd.pos)
}

// advance moves Processed to seq once no group is being loaded: every
// message this process needs up to seq is applied.
func (r *Ranker) advance(seq uint64) {
	if len(r.loading) == 0 && seq > r.processed.Load() {
		r.processed.Store(seq)
	}
}

// AppliedScores counts the standings this process applied; ForeignScores
// the ones its filter let through for groups it does not hold (subjects of
// older schemes only).
func (r *Ranker) AppliedScores() uint64 { return r.appliedN.Load() }

// ForeignScores: see AppliedScores.
func (r *Ranker) ForeignScores() uint64 { return r.foreignN.Load() }
