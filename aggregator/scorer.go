package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

// ScorerOptions configure the scorer shards.
type ScorerOptions struct {
	JS            jetstream.JetStream
	Rules         *contest.Registry
	Partitions    int           // of the EVENTS stream (default 64)
	Workers       int           // goroutines; a partition always maps to one (default GOMAXPROCS)
	MaxFutureSkew time.Duration // default event.DefaultMaxFutureSkew
	FlushInterval time.Duration // how often pending standings are published (default 50ms)
	Metrics       *Metrics

	// CheckpointInterval is how often each partition's state is saved to the
	// checkpoint object store (default 5s; negative: no checkpoints, every
	// start replays the whole stream).
	CheckpointInterval time.Duration
	// CheckpointEvery also starts a checkpoint round after this many events
	// handled by a worker (default 200000).
	CheckpointEvery int
	// Replicas of the checkpoint object store (default 1; 3 on a cluster).
	Replicas int
	// CheckpointHook, when set, is called around each partition checkpoint
	// write with stage "write" (about to write) or "written" (durable). For
	// tests; it runs on the checkpoint writer's goroutine.
	CheckpointHook func(partition int, covered uint64, stage string)

	// Instance, when set, makes the scorer share the EVENTS partitions with
	// the other processes using the same NATS (see shared.go): it scores
	// only the partitions it holds a lease on, one ordered consumer each.
	// Must be unique per process. Empty: this process scores every partition.
	Instance string
	// LeaseTTL is how long a dead process's partition lease lives (default 5s).
	LeaseTTL time.Duration

	// FinishedWindows frees a window's user state this long after its end +
	// lateness, on stream time (retention.finished_windows; 0: never).
	FinishedWindows time.Duration
	// FoldMargin is held back beyond max_event_delay when folding (default 5s;
	// see PruneOptions).
	FoldMargin time.Duration
	// FoldHook, when set, is called after a prune of a partition folded
	// candidates. For tests; it runs on the worker's goroutine.
	FoldHook func(partition, folded int)
}

// Scorer reads EVENTS and publishes absolute standings to SCORES.
//
// Exactly-once: every decision depends only on the stream's content, order
// and timestamps, so re-reading the stream rebuilds the same state; standings
// are absolute, so publishing one again is harmless. While catching up with
// the stream at start it publishes nothing (no stale intermediate values),
// then publishes once every standing that changed while catching up (all of
// them on a replay from the start; see docs/exactly-once.md).
type Scorer struct {
	opts    ScorerOptions
	log     *slog.Logger
	m       *Metrics
	workers []*worker

	caughtUp  atomic.Bool
	liveCount atomic.Int32
	processed atomic.Uint64 // highest EVENTS sequence handed to a worker and done
	lastEvent atomic.Int64  // stream time (Unix ns) of the last event handled
	gate      sync.RWMutex  // dispatch holds it shared; Barrier exclusively
	running   atomic.Bool   // single mode: the workers take messages
	startedAt time.Time
	stopOnce  sync.Once
	stop      context.CancelFunc
	ckpts     jetstream.ObjectStore // nil: checkpoints off
	shared    *sharedState          // nil unless opts.Instance is set
}

// NewScorer validates opts and returns a scorer; Run starts it.
func NewScorer(opts ScorerOptions, logger *slog.Logger) (*Scorer, error) {
	if opts.JS == nil || opts.Rules == nil {
		return nil, errors.New("aggregator: scorer needs JS and Rules")
	}
	if opts.Partitions == 0 {
		opts.Partitions = 64
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxFutureSkew == 0 {
		opts.MaxFutureSkew = event.DefaultMaxFutureSkew
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 50 * time.Millisecond
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = 5 * time.Second
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 200_000
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 5 * time.Second
	}
	if opts.Instance != "" && opts.CheckpointInterval < 0 {
		return nil, errors.New("aggregator: a shared scorer needs checkpoints (partitions move between processes)")
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &Scorer{opts: opts, log: logger.With("component", "scorer"), m: opts.Metrics}
	if opts.Instance != "" {
		s.shared = &sharedState{runs: map[int]*partRun{}}
	}
	return s, nil
}

// CaughtUp reports whether the scorer has processed the stream as it was at
// start (shared: every partition it holds has caught up).
func (s *Scorer) CaughtUp() bool {
	if s.opts.Instance != "" {
		return s.sharedCaughtUp()
	}
	return s.caughtUp.Load()
}

// ErrNoBarrier: the scorer cannot be held (shared mode, or not running).
var ErrNoBarrier = errors.New("aggregator: scorer barrier unavailable")

// Barrier holds the scorer at a point of the EVENTS stream for an exact
// snapshot: no message is handed to a worker any more, every worker applies
// what it has and publishes its pending standings, and the publishes are
// acknowledged. It returns the EVENTS sequence up to which everything is
// applied and published (nothing after it), whether that holds for certain
// (false if a publish was refused), and the release, which must be called.
// Only for the single-process scorer, once it has caught up.
func (s *Scorer) Barrier(ctx context.Context) (seq uint64, exact bool, release func(), err error) {
	if s.shared != nil || !s.caughtUp.Load() {
		return 0, false, nil, ErrNoBarrier
	}
	s.gate.Lock()
	var once sync.Once
	release = func() { once.Do(s.gate.Unlock) }
	if !s.running.Load() {
		release()
		return 0, false, nil, ErrNoBarrier
	}
	exact = true
	replies := make(chan bool, len(s.workers))
	for _, w := range s.workers {
		select {
		case w.in <- inMsg{barrier: replies}:
		case <-ctx.Done():
			release()
			return 0, false, nil, fmt.Errorf("aggregator: barrier: %w", ctx.Err())
		}
	}
	for range s.workers {
		select {
		case ok := <-replies:
			exact = exact && ok
		case <-ctx.Done():
			release()
			return 0, false, nil, fmt.Errorf("aggregator: barrier: %w", ctx.Err())
		}
	}
	select {
	case <-s.opts.JS.PublishAsyncComplete():
	case <-ctx.Done():
		release()
		return 0, false, nil, fmt.Errorf("aggregator: barrier: acks: %w", ctx.Err())
	}
	return s.processed.Load(), exact, release, nil
}

// Processed is the highest EVENTS sequence fully processed.
func (s *Scorer) Processed() uint64 { return s.processed.Load() }

type inMsg struct {
	msg       jetstream.Msg
	seq       uint64
	ts        time.Time
	partition int
	provider  string
	user      string
	subjectOK bool
	caughtUp  bool        // marker: no message, the stream has been read up to start
	barrier   chan<- bool // marker: flush, then report whether nothing is left pending
}

// Run blocks until ctx ends or the stream cannot be read.
func (s *Scorer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	s.stop = cancel
	defer cancel()
	s.startedAt = time.Now()
	if s.opts.Instance != "" {
		return s.runShared(ctx)
	}

	stream, err := s.opts.JS.Stream(ctx, streams.Events)
	if err != nil {
		return fmt.Errorf("aggregator: scorer: events stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("aggregator: scorer: stream info: %w", err)
	}
	startLast := info.State.LastSeq

	s.workers = make([]*worker, s.opts.Workers)
	for i := range s.workers {
		s.workers[i] = newWorker(s, i)
	}
	for p := 0; p < s.opts.Partitions; p++ {
		w := s.workers[p%len(s.workers)]
		w.owned = append(w.owned, p)
	}
	startSeq, err := s.loadCheckpoints(ctx)
	if err != nil {
		return err
	}
	if err := s.loadDLQMarks(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			w.run(ctx)
		}()
		go func() {
			defer wg.Done()
			w.writeCheckpoints(ctx)
		}()
	}
	s.running.Store(true)
	defer func() {
		s.gate.Lock() // no Barrier is sending to the workers
		s.running.Store(false)
		for _, w := range s.workers {
			close(w.in)
		}
		s.gate.Unlock()
		wg.Wait()
	}()

	ocfg := jetstream.OrderedConsumerConfig{}
	if startSeq > 1 {
		ocfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		ocfg.OptStartSeq = startSeq
	}
	s.log.Info("scorer reading EVENTS", "from_seq", startSeq, "stream_last", startLast)
	cons, err := s.opts.JS.OrderedConsumer(ctx, streams.Events, ocfg)
	if err != nil {
		return fmt.Errorf("aggregator: scorer: consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2048))
	if err != nil {
		return fmt.Errorf("aggregator: scorer: messages: %w", err)
	}
	defer it.Stop()
	go func() { <-ctx.Done(); it.Stop() }()

	go s.lagLoop(ctx, stream)

	if startLast < startSeq {
		s.markCaughtUp()
	}
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("aggregator: scorer: next: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			s.log.Error("message without metadata", "err", err)
			continue
		}
		s.m.EventsIn.Inc()
		im := inMsg{msg: msg, seq: meta.Sequence.Stream, ts: meta.Timestamp}
		im.partition, im.provider, im.user, im.subjectOK = streams.ParseEventSubject(msg.Subject())
		wi := 0
		if im.subjectOK {
			wi = im.partition % len(s.workers)
		}
		s.gate.RLock() // held off while a Barrier holds the scorer
		select {
		case s.workers[wi].in <- im:
		case <-ctx.Done():
			s.gate.RUnlock()
			return nil
		}
		s.gate.RUnlock()
		if !s.caughtUp.Load() && im.seq >= startLast {
			s.markCaughtUp()
		}
	}
}

func (s *Scorer) markCaughtUp() {
	for _, w := range s.workers {
		w.in <- inMsg{caughtUp: true}
	}
}

// lagLoop keeps the lag gauge: stream last sequence minus processed.
func (s *Scorer) lagLoop(ctx context.Context, stream jetstream.Stream) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			info, err := stream.Info(ctx)
			if err != nil {
				continue
			}
			p := s.processed.Load()
			lag := float64(0)
			if info.State.LastSeq > p {
				lag = float64(info.State.LastSeq - p)
			}
			s.m.Lag.WithLabelValues("scorer").Set(lag)
			s.m.LagSeconds.WithLabelValues("scorer").Set(lagSeconds(lag, time.Unix(0, s.lastEvent.Load())))
		}
	}
}

// loadDLQMarks reads, per partition, the highest EVENTS sequence already
// dead-lettered, so that re-reading the stream does not dead-letter twice.
func (s *Scorer) loadDLQMarks(ctx context.Context) error {
	for p := 0; p < s.opts.Partitions; p++ {
		if err := s.loadPartDLQMarks(ctx, s.workers[p%len(s.workers)].part(p), p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scorer) loadPartDLQMarks(ctx context.Context, ps *partState, p int) error {
	{
		for _, x := range []struct {
			stream, subj string
			dst          *uint64
		}{
			{streams.DLQInvalid, streams.DLQInvalidSubject(p), &ps.invalidMark},
			{streams.DLQLate, streams.DLQLateSubject(p), &ps.lateMark},
		} {
			st, err := s.opts.JS.Stream(ctx, x.stream)
			if err != nil {
				return fmt.Errorf("aggregator: scorer: %s: %w", x.stream, err)
			}
			m, err := st.GetLastMsgForSubject(ctx, x.subj)
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgNotFound) {
					continue
				}
				return fmt.Errorf("aggregator: scorer: last of %s: %w", x.subj, err)
			}
			if v, err := strconv.ParseUint(m.Header.Get(streams.HeaderSeq), 10, 64); err == nil && v > *x.dst {
				*x.dst = v
			}
		}
	}
	return nil
}

type worker struct {
	s       *Scorer
	id      int
	in      chan inMsg
	eng     *Engine
	pending map[string]ScoreMsg
	mout    missionOut // mission progress and rewards (scorer_missions.go)
	live    bool
	buf     []byte

	// Checkpointing (see scorer_checkpoint.go).
	inflight   []jetstream.PubAckFuture // SCORES publishes since the last checkpoint round
	sinceCkpt  int                      // events handled since the last round
	lastSeq    uint64                   // highest EVENTS seq handled (all its partitions are applied up to it)
	ckptSeq    map[int]uint64           // partition → covered seq of the last round taken
	ckptJobs   chan ckptJob
	ckptRedo   atomic.Bool   // a round failed: republish every standing, checkpoint every partition
	owned      []int         // partitions fed to this worker
	gauges     stateGauges   // worker goroutine: state size
	ckptGauges stateGauges   // writer goroutine: checkpoint bytes
	liveA      atomic.Bool   // live, readable from other goroutines
	doneA      atomic.Uint64 // shared mode: EVENTS seq up to which the partition is applied
	rs         ruleSync      // contests the state was built with (rescore.go)
	// Shared mode cuts (cut.go): last request answered, the one held for and until when.
	cutSeen, cutHeld uint64
	cutUntil         time.Time
}

func newWorker(s *Scorer, id int) *worker {
	eng := NewEngine(s.opts.Rules, s.opts.MaxFutureSkew)
	eng.SetPruning(PruneOptions{FinishedWindows: s.opts.FinishedWindows, FoldMargin: s.opts.FoldMargin, OnFold: s.opts.FoldHook})
	return &worker{s: s, id: id, in: make(chan inMsg, 4096), eng: eng,
		pending: map[string]ScoreMsg{}, ckptSeq: map[int]uint64{}, ckptJobs: make(chan ckptJob, 1), rs: newRuleSync(s.opts.Rules)}
}

func (w *worker) part(p int) *partState { return w.eng.part(p) }

func (w *worker) run(ctx context.Context) {
	defer close(w.ckptJobs)
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
				if ctx.Err() == nil {
					w.flush(ctx)
				}
				return
			}
			if im.caughtUp {
				w.goLive(ctx)
				continue
			}
			if im.barrier != nil {
				w.syncRules(ctx)
				w.flush(ctx)
				im.barrier <- len(w.pending) == 0
				continue
			}
			w.handle(ctx, &im)
			if len(w.pending) >= 4096 {
				w.flush(ctx)
			}
			if w.s.ckpts != nil {
				w.sinceCkpt++
				if w.sinceCkpt >= w.s.opts.CheckpointEvery {
					w.checkpoint(ctx)
				}
			}
		case <-t.C:
			w.syncRules(ctx)
			w.flush(ctx)
		case <-ckptC:
			w.checkpoint(ctx)
		}
	}
}

// goLive publishes, once, every standing changed while catching up.
func (w *worker) goLive(ctx context.Context) {
	w.live = true
	w.liveA.Store(true)
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
	w.eng.Standings(func(id contest.BoardID, user string, st contest.Standing) {
		w.pending[streams.ScoreSubject(id.Contest, id.Window, id.Division, user)] = ScoreMsg{Standing: st}
	})
	w.enqueueMissions()
}

// noRetry turns off the client's own retry of an async publish answered "no
// responders" (as during a stream leader election on a cluster): a retried
// standing could land after a newer one of the same subject and, with one
// message kept per subject, win. A failed publish fails its checkpoint
// round instead, and the worker republishes its current standings.
var noRetry = jetstream.WithRetryAttempts(0)

// flush publishes the pending standings, unless a cut holds them (cut.go).
func (w *worker) flush(ctx context.Context) {
	if w.holdForCut(ctx) {
		return
	}
	w.flushNow(ctx)
}

func (w *worker) flushNow(ctx context.Context) {
	w.flushMissions(ctx)
	if len(w.pending) == 0 || !w.live {
		return // nothing is published before catch-up
	}
	for subj, sm := range w.pending {
		w.buf = sm.encode(w.buf[:0])
		data := make([]byte, len(w.buf))
		copy(data, w.buf)
		msg := scoreMsg(subj, data, sm.EventTime)
		f, err := w.s.opts.JS.PublishMsgAsync(msg, noRetry)
		if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			// Back-pressure: let the acks catch up, then retry once.
			select {
			case <-w.s.opts.JS.PublishAsyncComplete():
			case <-ctx.Done():
				return
			}
			f, err = w.s.opts.JS.PublishMsgAsync(msg, noRetry)
		}
		if err != nil {
			w.s.m.PublishErrors.WithLabelValues(streams.Scores).Inc()
			w.s.log.Error("publish standing", "subject", subj, "err", err)
			continue
		}
		w.s.m.ScoresOut.Inc()
		if !sm.EventTime.IsZero() {
			w.s.m.EventLatency.WithLabelValues(LatencyScored).Observe(time.Since(sm.EventTime).Seconds())
		}
		if w.s.ckpts != nil {
			w.inflight = append(w.inflight, f)
		}
		delete(w.pending, subj)
	}
}

func (w *worker) handle(ctx context.Context, im *inMsg) {
	defer w.s.advance(im.seq)
	if w.s.shared != nil {
		defer w.doneA.Store(im.seq)
	}
	w.syncRules(ctx)
	ps := w.part(im.partition) // partition 0 for a subject that does not parse
	if im.seq <= ps.last {
		return // covered by the partition's checkpoint
	}
	ps.last = im.seq
	w.lastSeq = im.seq
	w.s.lastEvent.Store(im.ts.UnixNano())
	d := w.eng.Apply(StoredEvent{Subject: im.msg.Subject(), Data: im.msg.Data(), Seq: im.seq, Time: im.ts})
	switch {
	case d.Invalid != nil:
		w.deadLetter(ctx, im, d.Partition, d.Reason, d.Invalid)
		return
	case d.Duplicate:
		w.s.m.Duplicates.Inc()
		return
	}
	for cid, res := range d.Accruals {
		w.s.m.Accruals.WithLabelValues(cid, res).Inc()
	}
	w.lateLetters(ctx, im, w.part(d.Partition), d.Late)
	w.queueMissions(&d.Missions)
	w.queueFlags(&d.Flags)
	// Before catch-up the changes only accumulate (one entry per subject):
	// they are published once, when the worker goes live.
	for _, ch := range d.Changes {
		w.pending[streams.ScoreSubject(ch.Board.Contest, ch.Board.Window, ch.Board.Division, ch.User)] =
			ScoreMsg{Standing: ch.Standing, Removed: ch.Removed, SrcSeq: im.seq, EventTime: im.ts}
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

func (w *worker) deadLetter(ctx context.Context, im *inMsg, partition int, reason string, err error) {
	w.s.m.Rejected.WithLabelValues(reason).Inc()
	ps := w.part(partition)
	if im.seq <= ps.invalidMark {
		return
	}
	m := nats.NewMsg(streams.DLQInvalidSubject(partition))
	m.Data = im.msg.Data()
	m.Header.Set(streams.HeaderReason, reason)
	m.Header.Set(streams.HeaderError, err.Error())
	m.Header.Set(streams.HeaderSubject, im.msg.Subject())
	m.Header.Set(streams.HeaderSeq, strconv.FormatUint(im.seq, 10))
	m.Header.Set(streams.HeaderMsgID, "invalid-"+strconv.FormatUint(im.seq, 10))
	w.s.log.Info("event dead-lettered", "reason", reason, "subject", im.msg.Subject(), "seq", im.seq,
		"trace_id", traceID(im.msg.Data()), "err", err)
	w.publishDLQ(ctx, m, streams.DLQInvalid)
}

// lateMsg is the dead letter of an event late for l (nil: already in DLQ_LATE).
func (w *worker) lateMsg(im *inMsg, ps *partState, l LateHit) *nats.Msg {
	c, win := l.Contest, l.Window
	w.s.m.Late.WithLabelValues(c.ID).Inc()
	if im.seq <= ps.lateMark {
		return nil
	}
	p, _, _, _ := streams.ParseEventSubject(im.msg.Subject())
	m := nats.NewMsg(streams.DLQLateSubject(p))
	m.Data = im.msg.Data()
	m.Header.Set(streams.HeaderReason, contest.ReasonLate)
	m.Header.Set(streams.HeaderError, lateError(im.ts, l))
	m.Header.Set(streams.HeaderSubject, im.msg.Subject())
	m.Header.Set(streams.HeaderSeq, strconv.FormatUint(im.seq, 10))
	m.Header.Set(streams.HeaderContest, c.ID)
	m.Header.Set(streams.HeaderWindow, win.Start.UTC().Format(time.RFC3339))
	m.Header.Set(streams.HeaderMsgID, "late-"+c.ID+"-"+strconv.FormatInt(win.Key(), 10)+"-"+strconv.FormatUint(im.seq, 10))
	w.s.log.Info("late event", "contest", c.ID, "subject", im.msg.Subject(), "seq", im.seq,
		"trace_id", traceID(im.msg.Data()))
	return m
}

// dlqTimeout bounds one attempt of a dead-letter publish: a request whose
// reply died with a server would otherwise wait for ctx (which may have no
// end), holding the worker and every partition it owns.
const dlqTimeout = 5 * time.Second

// publishDLQ publishes synchronously: a dead letter must be stored before the
// event counts as handled. Retries (each attempt bounded) until ctx ends.
func (w *worker) publishDLQ(ctx context.Context, m *nats.Msg, stream string) {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, dlqTimeout)
		_, err := w.s.opts.JS.PublishMsg(actx, m)
		cancel()
		if err == nil {
			return
		}
		w.s.m.PublishErrors.WithLabelValues(stream).Inc()
		if ctx.Err() != nil {
			return
		}
		w.s.log.Error("dead-letter publish failed, retrying", "stream", stream, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
