package aggregator

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

type worker struct {
	s       *Scorer
	id      int
	in      chan inMsg
	eng     *Engine
	pending pendingScores // by (board, user): the subject is made when published (pending_scores.go)
	mout    missionOut    // mission progress and rewards (scorer_missions.go)
	live    bool
	pace    flushPacer // when pending standings are published (flush_pacer.go)
	accrued map[ContestResult]prometheus.Counter
	letters []letter // dead letters in flight (scorer_letters.go)
	heldSeq uint64   // progress held back until they are stored (0: none)

	// Checkpointing (see scorer_checkpoint.go).
	round      *ackRound      // the publishes of the flush under way (pubacks.go; nil: none yet)
	rounds     []*ackRound    // flush rounds since the last checkpoint round
	sinceCkpt  int            // events handled since the last round
	lastSeq    uint64         // highest EVENTS seq handled (all its partitions are applied up to it)
	ckptSeq    map[int]uint64 // partition → covered seq of the last round taken
	ckptJobs   chan ckptJob
	ckptRedo   atomic.Bool   // a round failed: republish every standing, checkpoint every partition
	owned      []int         // partitions fed to this worker
	gauges     stateGauges   // worker goroutine: state size
	ckptGauges stateGauges   // writer goroutine: checkpoint bytes
	liveA      atomic.Bool   // live, readable from other goroutines
	handedA    atomic.Bool   // live, and the catch-up's standings handed to the client (noteHanded)
	catchup    atomic.Value  // catchupCount when it went live
	doneA      atomic.Uint64 // shared mode: EVENTS seq up to which the partition is applied
	restoredA  atomic.Bool   // shared mode: the partition started from a checkpoint
	rs         ruleSync      // contests the state was built with (rescore.go)
	// Shared mode cuts (cut.go): last request answered, the one held for and until when.
	cutSeen, cutHeld uint64
	cutUntil         time.Time
}

func newWorker(s *Scorer, id int) *worker {
	eng := NewEngine(s.opts.Rules, s.opts.MaxFutureSkew)
	eng.SetPruning(PruneOptions{FinishedWindows: s.opts.FinishedWindows, FoldMargin: s.opts.FoldMargin, OnFold: s.opts.FoldHook,
		OnMissionFreed: s.rel.freed})
	return &worker{s: s, id: id, in: make(chan inMsg, 4096), eng: eng,
		pending: newPendingScores(), ckptSeq: map[int]uint64{}, ckptJobs: make(chan ckptJob, 1), rs: newRuleSync(s.opts.Rules)}
}

func (w *worker) part(p int) *partState { return w.eng.part(p) }

func (w *worker) run(ctx context.Context) {
	defer close(w.ckptJobs)
	maxFlush := w.s.opts.MaxFlushInterval
	if maxFlush == 0 {
		maxFlush = max(defaultMaxFlush, w.s.opts.FlushInterval)
	}
	w.pace = newFlushPacer(w.s.opts.FlushInterval, maxFlush, time.Now())
	t := time.NewTicker(w.s.opts.FlushInterval)
	defer t.Stop()
	var ckptC <-chan time.Time
	if w.s.ckpts != nil {
		ct := time.NewTicker(w.s.opts.CheckpointInterval)
		defer ct.Stop()
		ckptC = ct.C
	}
	for {
		select {
		case im, ok := <-w.in:
			if !ok {
				if w.settleLetters(ctx) {
					w.flush(ctx)
				}
				return
			}
			if im.caughtUp {
				w.goLive(ctx)
				continue
			}
			if im.barrier != nil {
				w.settleLetters(ctx)
				w.syncRules(ctx)
				w.flush(ctx)
				im.barrier <- w.pending.len() == 0
				continue
			}
			w.handle(ctx, &im)
			w.pace.handled()
			if w.live && w.pending.len() >= maxPending {
				w.flush(ctx)
			}
			if w.s.ckpts != nil {
				w.sinceCkpt++
				if w.sinceCkpt >= w.s.opts.CheckpointEvery {
					w.checkpoint(ctx)
				}
			}
		case now := <-t.C:
			w.settleLetters(ctx)
			w.syncRules(ctx)
			w.pace.queued(len(w.in))
			if w.pace.tick(now) {
				w.flush(ctx)
				w.pace.flushed(now)
			}
		case <-ckptC:
			w.checkpoint(ctx)
		}
	}
}

// goLive publishes, once, every standing changed while catching up.
func (w *worker) goLive(ctx context.Context) {
	w.settleLetters(ctx) // caught up: every letter of the catch-up is stored
	w.live = true
	w.liveA.Store(true)
	w.catchup.Store(catchupCount{changes: w.pending.puts, standings: w.pending.len(), at: time.Now()})
	// Every standing changed since each partition's start point is pending
	// (one entry per subject, removals included). A partition replayed from
	// the start has all its standings there; one restored from a checkpoint
	// needs no more, as SCORES is never behind a checkpoint (written only
	// after the standings it reflects were acknowledged).
	w.flush(ctx)
	if w.s.shared != nil {
		return
	}
	if int(w.s.liveCount.Add(1)) == len(w.s.workers) {
		w.s.caughtUp.Store(true)
		w.s.m.CatchupSeconds.WithLabelValues("scorer").Set(time.Since(w.s.startedAt).Seconds())
		w.s.log.Info("scorer caught up", "took", time.Since(w.s.startedAt))
	}
}

// enqueueAll makes every standing held pending.
func (w *worker) enqueueAll() {
	// SrcSeq: the partition's position, so that a ranker holding a later
	// holder's standing drops this republish as stale (ranker_apply.go).
	w.eng.StandingsAsOf(func(id contest.BoardID, user string, st contest.Standing, asOf uint64) {
		w.pending.put(id, user, ScoreMsg{Standing: st, SrcSeq: asOf})
	})
	w.enqueueMissions()
}

// noRetry turns off the client's own retry of an async publish answered "no
// responders" (as during a stream leader election on a cluster): a retried
// standing could land after a newer one of the same subject and, with one
// message kept per subject, win. A failed publish fails its checkpoint
// round instead, and the worker republishes its current standings. (The
// flush's publishes are core NATS messages, never retried: pubacks.go.)
var noRetry = jetstream.WithRetryAttempts(0)

// flush publishes the pending standings, unless a cut holds them (cut.go).
func (w *worker) flush(ctx context.Context) {
	defer w.noteHanded()
	if w.holdForCut(ctx) {
		return
	}
	w.flushNow(ctx)
}

func (w *worker) flushNow(ctx context.Context) {
	defer w.sealRound()
	if ctx.Err() != nil {
		return // stopped (shared mode: maybe no longer the partition's holder): publish nothing more
	}
	w.flushMissions(ctx)
	if w.pending.len() == 0 || !w.live {
		return // nothing is published before catch-up
	}
	scored := w.s.m.EventLatency.WithLabelValues(LatencyScored) // once per flush, not per standing
	held := w.pending.len()
	users := w.pending.take()
	// One allocation of messages, one of subjects and one of payloads per
	// flush, not three per standing: the client keeps each message until
	// its ack (flush_slab.go).
	var slab scoreSlab
	slab.make(held)
	for ui, u := range users {
		for i := range u.boards {
			msg := slab.next(w.s.opts.BoardGroups, u.boards[i], u.user, &u.msgs[i])
			if !w.publishStanding(ctx, msg, &u.msgs[i], scored) {
				if ctx.Err() != nil { // stopped while held back: the rest stays pending, unpublished
					w.putBack(u, i)
					for _, rest := range users[ui+1:] {
						w.putBack(rest, 0)
					}
					return
				}
				w.pending.put(u.boards[i], u.user, u.msgs[i]) // refused: pending again
			}
		}
	}
}

// publishStanding publishes one standing; false when it was not published
// (refused, or ctx ended while waiting out back-pressure).
func (w *worker) publishStanding(ctx context.Context, msg *nats.Msg, sm *ScoreMsg, scored prometheus.Observer) bool {
	if !w.publishAsync(ctx, msg, streams.Scores) { // scorer_publish.go
		return false
	}
	w.s.m.ScoresOut.Inc()
	if !sm.EventTime.IsZero() {
		scored.Observe(time.Since(sm.EventTime).Seconds())
	}
	return true
}

// putBack makes u's standings from the i-th on pending again (not published).
func (w *worker) putBack(u *pendingUser, from int) {
	for i := from; i < len(u.boards); i++ {
		w.pending.put(u.boards[i], u.user, u.msgs[i])
	}
}

func (w *worker) handle(ctx context.Context, im *inMsg) {
	if ctx.Err() != nil {
		// Stopping: what is still queued is not handled. Its dead letters
		// could not all be stored (a synchronous publish fails, an async
		// one may still land), and a later letter stored before an earlier
		// one that is lost would move the DLQ mark past it for good.
		return
	}
	defer w.handled(im.Seq) // processed, or held back until its letters are stored
	w.syncRules(ctx)
	ps := w.part(im.Partition) // partition 0 for a subject that does not parse
	if im.Seq <= ps.last {
		return // covered by the partition's checkpoint
	}
	ps.last = im.Seq
	w.lastSeq = im.Seq
	w.s.lastEvent.Store(im.Time.UnixNano())
	d := w.eng.Apply(StoredEvent{Subject: im.Msg.Subject(), Data: im.Msg.Data(), Seq: im.Seq, Time: im.Time})
	w.queueFreedMissions(d.Partition)
	switch {
	case d.Invalid != nil:
		w.deadLetter(ctx, im, d.Partition, d.Reason, d.Invalid)
		return
	case d.Duplicate:
		w.s.m.Duplicates.Inc()
		return
	}
	for _, r := range d.Accruals {
		w.accrualCounter(r).Inc()
	}
	if len(d.Late) > 0 {
		w.lateLetters(ctx, im, w.part(d.Partition), d.Late)
	}
	w.queueMissions(&d.Missions, d.Partition)
	w.queueFlags(&d.Flags)
	// Before catch-up the changes only accumulate (one entry per subject):
	// they are published once, when the worker goes live.
	for _, ch := range d.Changes {
		w.pending.put(ch.Board, ch.User,
			ScoreMsg{Standing: ch.Standing, Removed: ch.Removed, SrcSeq: im.Seq, EventTime: im.Time})
	}
}

func (s *Scorer) advance(seq uint64) {
	for {
		cur := s.processed.Load()
		if seq <= cur || s.processed.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// accrualCounter is the Accruals counter of r, looked up once per worker
// (WithLabelValues hashes and locks on every call).
func (w *worker) accrualCounter(r ContestResult) prometheus.Counter {
	c, ok := w.accrued[r]
	if !ok {
		if w.accrued == nil {
			w.accrued = map[ContestResult]prometheus.Counter{}
		}
		c = w.s.m.Accruals.WithLabelValues(r.Contest, r.Result)
		w.accrued[r] = c
	}
	return c
}
