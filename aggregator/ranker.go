package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// RankerOptions configure the ranker.
type RankerOptions struct {
	JS    jetstream.JetStream
	Rules *contest.Registry
	// Sinks receive each tick's changes of the boards this process owns
	// (ranker_sink.go: the contract). None: the ranker only keeps the boards
	// (tests, replay, a snapshotter of its own).
	Sinks []Sink
	// Tick is the longest a change waits before it is written (default
	// 100ms); MinTick the least time between two ticks that write changes
	// (default 10ms; ranker_sched.go spaces them by their cost under load).
	Tick    time.Duration
	MinTick time.Duration
	Metrics *Metrics
	// Watched, when set, lists the users whose rank must be reported in
	// BoardDelta.Ranks on every tick of their board (players with a live
	// subscription), so they learn when others overtake them, and once when
	// they become watched on a quiet board (ranker_watch.go). It is called
	// on every tick for every owned board: it must not block, and should
	// return the same slice while the list is unchanged.
	Watched func(id contest.BoardID) []string
	// WatchedEvery, when positive, spaces the reports of a watched user
	// whose own standing did not change (others overtook them): at most one
	// per WatchedEvery; a later tick reports what changed meanwhile, also on
	// a board that went quiet (ranker_watch_every.go). Zero: every tick.
	WatchedEvery time.Duration
	// TopK is the size of BoardDelta.Top (default 10).
	TopK int
	// Groups, when set, shard the output by board group (ranker_groups.go):
	// every process ranks every board, the holder of a group's lease writes
	// its boards to the sinks. Nil: this process writes every board.
	Groups *BoardGroups
	// FinishedWindows releases a window's boards this long after its end +
	// lateness, on SCORES stream time (retention.finished_windows; 0: never;
	// see ranker_release.go).
	FinishedWindows time.Duration
}

// readerStall is how long the ranker tolerates its SCORES reader making no
// progress while the stream has more before it restarts the reader.
const readerStall = 5 * time.Second

// Ranker owns boards: it reads SCORES, keeps each board in an order-statistic
// tree and hands the changes of each tick to its sinks.
type Ranker struct {
	opts  RankerOptions
	log   *slog.Logger
	m     *Metrics
	ranks bool // some sink wants Top, Ranks and Total
	// rankedLat is EventLatency's "ranked" child (looked up once, not per
	// standing).
	rankedLat prometheus.Observer

	mu     sync.Mutex
	boards map[contest.BoardID]*rboard

	applied uint64 // highest SCORES sequence applied (ranker goroutine, under mu)
	cutSeq  uint64 // highest cut marker sequence applied (under mu)
	// Group filter (ranker_filter.go), ranker goroutine, changed under mu:
	// lanes: group → highest sequence applied; reading: the groups read
	// (nil without Groups: all); loading: read, not complete yet; gens: the
	// group counts SCORES subjects were published under; writable: the
	// groups read and complete (for any goroutine).
	lanes     map[int]uint64
	reading   map[int]bool
	loading   map[int]bool
	gens      []int
	writable  atomic.Pointer[map[int]bool]
	appliedN  atomic.Uint64
	foreignN  atomic.Uint64
	staleN    atomic.Uint64 // standings dropped as stale (ranker_apply.go)
	ready     atomic.Bool
	processed atomic.Uint64
	lastMsg   atomic.Int64    // SCORES stream time (Unix ns) of the last message applied
	cuts      map[int]cutMark // partition → last cut marker applied (under mu; cut.go)
	now       time.Time       // stream time: latest SCORES timestamp applied (under mu)
	tickAt    time.Time       // wall clock of the tick being collected (under mu)
	// groupEp: group → lease epoch of its last full write; sinkFail: per
	// sink, the boards to write in full after a failed write (ranker
	// goroutine; ranker_tick.go).
	groupEp  map[int]uint64
	sinkFail []map[contest.BoardID]bool
	// wr is the sink write in flight (ranker_write.go; ranker goroutine).
	wr tickWrite
}

type rboard struct {
	id    contest.BoardID
	group int
	lb    contest.Leaderboard
	tree  *board.Tree
	st    map[string]contest.Standing
	// seq: user → SrcSeq of the standing applied last (kept after a
	// removal), so an older one arriving later is dropped (ranker_apply.go).
	seq   map[string]uint64
	dirty map[string]*dirtyEntry
	key   []int64
	// since is the stream time of the oldest event among the dirty changes
	// (zero: none known); it is the tick's event → visible latency.
	since time.Time
	// src is the contest version lb came from; replace: re-keyed for a new
	// one, to be written in full (ranker_rules.go).
	src     *contest.Contest
	replace bool
	// watched is the Watched list of the board's last report
	// (ranker_watch.go).
	watched []string
	// told: the rank last reported of each watched user and when, parallel
	// to watched (ranker_ranks.go).
	told []toldEntry
	// recheck: when a watched user not looked at by a tick (WatchedEvery)
	// is due to be looked at again (zero: none waits).
	recheck time.Time
}

type dirtyEntry struct {
	old     []int64 // key before this tick (nil: was absent)
	removed bool
}

// NewRanker validates opts.
func NewRanker(opts RankerOptions, logger *slog.Logger) (*Ranker, error) {
	if opts.JS == nil || opts.Rules == nil {
		return nil, errors.New("aggregator: ranker needs JS and Rules")
	}
	if opts.Tick == 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.MinTick <= 0 {
		opts.MinTick = min(defaultMinTick, opts.Tick)
	}
	if opts.TopK == 0 {
		opts.TopK = 10
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if logger == nil {
		logger = slog.Default()
	}
	r := &Ranker{opts: opts, log: logger.With("component", "ranker"), m: opts.Metrics,
		boards: map[contest.BoardID]*rboard{}, lanes: map[int]uint64{}, loading: map[int]bool{}, groupEp: map[int]uint64{}, sinkFail: make([]map[contest.BoardID]bool, len(opts.Sinks))}
	for i, s := range opts.Sinks {
		if s == nil {
			return nil, fmt.Errorf("aggregator: ranker: sink %d is nil", i)
		}
		if w, ok := s.(RanksWanted); ok && w.WantsRanks() {
			r.ranks = true
		}
		r.sinkFail[i] = map[contest.BoardID]bool{}
	}
	r.writable.Store(&map[int]bool{})
	r.rankedLat = r.m.EventLatency.WithLabelValues(LatencyRanked)
	return r, nil
}

// Writes reports whether this process writes some boards to the sinks (and
// snapshots them) now: always without Groups, else while holding a group.
func (r *Ranker) Writes() bool {
	g := r.opts.Groups
	return g == nil || len(g.HeldGroups()) > 0
}

// Owns reports whether this process writes board id to the sinks now.
func (r *Ranker) Owns(id contest.BoardID) bool {
	return r.ownsGroup(GroupOf(id, r.groupCount()))
}

// ownsGroup: group k's lease is held and its boards are loaded.
func (r *Ranker) ownsGroup(k int) bool {
	return r.opts.Groups == nil || (r.opts.Groups.Held(k) && (*r.writable.Load())[k])
}

func (r *Ranker) groupCount() int {
	if r.opts.Groups == nil {
		return 1
	}
	return r.opts.Groups.N()
}

// Ready reports whether the boards are loaded and written to the sinks.
func (r *Ranker) Ready() bool { return r.ready.Load() }

// Processed is the SCORES sequence up to which every message this process
// reads is applied (its filter leaves the other groups' out).
func (r *Ranker) Processed() uint64 { return r.processed.Load() }

// Run blocks until ctx ends.
func (r *Ranker) Run(ctx context.Context) error {
	start := time.Now()
	stream, err := r.opts.JS.Stream(ctx, streams.Scores)
	if err != nil {
		return fmt.Errorf("aggregator: ranker: scores stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("aggregator: ranker: stream info: %w", err)
	}
	r.gens = r.recordGeneration(ctx, info)
	if g := r.opts.Groups; g != nil {
		for !g.Decided() && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		r.mu.Lock()
		r.setReading(g.HeldGroups())
		r.mu.Unlock()
	}
	rd := newScoresReader(r)
	if err := rd.read(ctx, 1); err != nil {
		return err
	}
	defer rd.stop()
	tick := time.NewTicker(r.opts.Tick)
	defer tick.Stop()
	lagT := time.NewTicker(time.Second)
	defer lagT.Stop()
	sched := newTickSched(r.opts.MinTick, r.opts.Tick)
	defer sched.stop()
	defer r.awaitWrite(sched)
	for live := false; ; {
		if rd.caught {
			r.caughtUp(rd)
			if !live {
				live = true
				r.goLive(ctx, start)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-rd.errc:
			rd.restart(ctx, "read error", 0, err)
		case m := <-rd.msgs:
			r.applyBuffered(m, rd)
			if live {
				sched.changed(time.Now())
			}
		case <-sched.C():
			sched.fired()
			if live {
				r.timedTick(ctx, sched)
			}
		case errs := <-r.writeDone():
			r.written(sched, errs)
		case <-tick.C:
			if live {
				r.regroup(ctx, rd)
				if sched.due(time.Now()) {
					r.timedTick(ctx, sched)
				}
			}
		case <-lagT.C:
			if live && r.opts.FinishedWindows > 0 {
				r.awaitWrite(sched) // a sink's Release must not race its Write
				r.releaseFinished(ctx, stream)
			}
			rd.checkLag(ctx, stream)
		}
	}
}

// applyBuffered applies m and what is already buffered after it, under
// one lock.
func (r *Ranker) applyBuffered(m readMsg, rd *scoresReader) {
	r.mu.Lock()
	r.applyRead(m, rd)
drain:
	for n := 0; n < 1024; n++ {
		select {
		case m2 := <-rd.msgs:
			r.applyRead(m2, rd)
		default:
			break drain
		}
	}
	r.mu.Unlock()
}

// goLive (the reader delivered all it had) writes every owned
// board to the sinks in full, then marks ready.
func (r *Ranker) goLive(ctx context.Context, start time.Time) {
	for !r.tick(ctx) && ctx.Err() == nil {
		r.log.Error("first write of the boards to the sinks failed, retrying")
		time.Sleep(500 * time.Millisecond)
	}
	r.ready.Store(true)
	r.m.CatchupSeconds.WithLabelValues("ranker").Set(time.Since(start).Seconds())
	r.log.Info("ranker caught up", "boards", len(r.BoardIDs()), "took", time.Since(start))
}
