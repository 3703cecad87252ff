package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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

	// MaxFlushInterval: under load the flush interval doubles up to this
	// (default 400ms, at least FlushInterval; see flush_pacer.go).
	MaxFlushInterval time.Duration

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
	// BoardGroups is the rankers' number of board groups: a standing's
	// subject carries its board's group (streams/scores.go; default 1).
	BoardGroups int

	// FinishedWindows frees a window's user state this long after its end +
	// lateness, on stream time (retention.finished_windows; 0: never).
	FinishedWindows time.Duration
	// FoldMargin is held back beyond max_event_delay when folding (default 5s;
	// see PruneOptions).
	FoldMargin time.Duration
	// FoldHook, when set, is called after a prune of a partition folded
	// candidates. For tests; it runs on the worker's goroutine.
	FoldHook func(partition, folded int)

	// CatchupGCPercent is the process's GC target while this scorer catches
	// up, bounded by CatchupMemoryLimit (catchup_gc.go; default
	// DefaultCatchupGCPercent, negative: off).
	CatchupGCPercent int
	// CatchupMemoryLimit is that soft memory limit in bytes (default: half
	// of the memory available to the process).
	CatchupMemoryLimit int64
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
	rel     *missionRelease // drops freed mission windows' progress keys
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
	acks      *pubAcks              // answers to the workers' publishes
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
	s := &Scorer{opts: opts, log: logger.With("component", "scorer"), m: opts.Metrics, acks: newPubAcks(opts.JS.Conn())}
	s.rel = newMissionRelease(opts.JS, s.log, opts.Metrics.Missions)
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
	if err := s.publishesAcked(ctx); err != nil {
		release()
		return 0, false, nil, fmt.Errorf("aggregator: barrier: %w", err)
	}
	return s.processed.Load(), exact, release, nil
}

// publishesAcked waits until every publish of the workers so far, and of
// the JetStream context, has its answer.
func (s *Scorer) publishesAcked(ctx context.Context) error {
	if err := s.acks.waitIdle(ctx, 0); err != nil {
		return err
	}
	select {
	case <-s.opts.JS.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("aggregator: waiting for async publish acks: %w", ctx.Err())
	}
}

// Processed is the highest EVENTS sequence fully processed (shared mode:
// the highest handed to any partition; see UpToDate).
func (s *Scorer) Processed() uint64 { return s.processed.Load() }

// UpToDate reports whether the scorer has applied every message the EVENTS
// stream holds now of the partitions it scores (single mode: all of them).
func (s *Scorer) UpToDate(ctx context.Context) (bool, error) {
	if s.shared != nil {
		return s.sharedUpToDate(ctx)
	}
	last, err := Lane{JS: s.opts.JS, Partition: AllPartitions}.lastAtStart(ctx)
	if err != nil {
		return false, err
	}
	return s.caughtUp.Load() && s.processed.Load() >= last, nil
}

type inMsg struct {
	Delivery
	caughtUp bool        // marker: no message, the stream has been read up to start
	barrier  chan<- bool // marker: flush, then report whether nothing is left pending
}

// Run blocks until ctx ends or the stream cannot be read.
func (s *Scorer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	s.stop = cancel
	defer cancel()
	defer s.acks.close() // after the workers have stopped (deferred below)
	s.startedAt = time.Now()
	go s.rel.run(ctx)
	go s.runCatchupGC(ctx)
	if s.opts.Instance != "" {
		return s.runShared(ctx)
	}
	stream, err := s.opts.JS.Stream(ctx, streams.Events)
	if err != nil {
		return fmt.Errorf("aggregator: scorer: events stream: %w", err)
	}
	s.workers = make([]*worker, s.opts.Workers)
	for i := range s.workers {
		s.workers[i] = newWorker(s, i)
	}
	for p := 0; p < s.opts.Partitions; p++ {
		w := s.workers[p%len(s.workers)]
		w.owned = append(w.owned, p)
	}
	s.expectCatchup(ctx, s.engines()...) // catchup_expect.go
	startSeq, err := s.loadCheckpoints(ctx)
	if err != nil {
		return err
	}
	if err := s.loadDLQMarks(ctx); err != nil {
		return err
	}
	stopWorkers := s.startWorkers(ctx)
	defer stopWorkers()
	go s.lagLoop(ctx, stream)
	s.log.Info("scorer reading EVENTS", "from_seq", startSeq)
	lane := Lane{JS: s.opts.JS, Partition: AllPartitions, From: startSeq, Batch: 2048}
	return lane.Run(ctx, dispatcher{s})
}

// startWorkers starts every worker and its checkpoint writer; the returned
// func closes their input (once no Barrier is sending) and waits for them.
func (s *Scorer) startWorkers(ctx context.Context) func() {
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
	return func() {
		s.gate.Lock() // no Barrier is sending to the workers
		s.running.Store(false)
		for _, w := range s.workers {
			close(w.in)
		}
		s.gate.Unlock()
		wg.Wait()
	}
}

// dispatcher is the single-mode lane's sink: each message goes to the
// worker of its partition (partition 0's for a subject that does not parse).
type dispatcher struct{ s *Scorer }

func (d dispatcher) Deliver(ctx context.Context, dl *Delivery) bool {
	s := d.s
	s.m.EventsIn.Inc()
	wi := 0
	if dl.SubjectOK {
		wi = dl.Partition % len(s.workers)
	}
	s.gate.RLock() // held off while a Barrier holds the scorer
	defer s.gate.RUnlock()
	select {
	case s.workers[wi].in <- inMsg{Delivery: *dl}:
		return true
	case <-ctx.Done():
		return false
	}
}

// CaughtUp tells every worker that the stream has been read up to start.
func (d dispatcher) CaughtUp() {
	for _, w := range d.s.workers {
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
