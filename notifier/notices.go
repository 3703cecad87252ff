package notifier

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// Defaults of NoticeOptions.
const (
	DefaultEndsSoon   = 5 * time.Minute
	DefaultZoneSettle = time.Second
	DefaultZoneGap    = 2 * time.Second
	MaxZoneGap        = 5 * time.Minute
	noticeEvery       = 250 * time.Millisecond
)

// NoticeOptions turn on the one-off notices on lb.<contest>.user.<id>.notice
// (CONTRACT.md §5, docs/live-push.md "Notices"). Contest nil: no notices.
type NoticeOptions struct {
	// Contest returns the current version of a contest (nil: unknown, its
	// boards get no notices).
	Contest func(id string) *contest.Contest
	// PrizeZone returns which positions of a contest pay
	// (rewards.ContestZone); nil: no prize-zone notices.
	PrizeZone func(*contest.Contest) *contest.PrizeZone
	// KV keeps what was sent per (board, user) (streams.EnsureNotices), so a
	// restarted notifier sends nothing twice; JS publishes the records
	// (required with KV). Nil KV: the record lives in memory only.
	KV jetstream.KeyValue
	JS jetstream.JetStream
	// EndsSoon: ends_soon goes out this long before the window's end
	// (default 5m, CONTRACT.md §5).
	EndsSoon time.Duration
	// ZoneSettle: a prize-zone change is notified once it has held this
	// long (default 1s), so a user crossing the boundary and back within
	// it gets nothing.
	ZoneSettle time.Duration
	// ZoneGap is the least time between a user's first and second zone
	// notice of a board (default 2s); it doubles with every further one,
	// up to MaxZoneGap, so a user oscillating around the boundary gets
	// fewer and fewer.
	ZoneGap time.Duration
}

// noticer computes and sends the notices in a goroutine of its own: it
// reads the same board deltas as the rank pushes (offer), never delays
// them, and owns its state.
type noticer struct {
	o   NoticeOptions
	pub Publisher
	now func() time.Time
	log *slog.Logger
	m   *noticeMetrics

	mu    sync.Mutex
	inbox [][]aggregator.BoardDelta
	wake  chan struct{}

	// Owned by the run goroutine.
	boards map[contest.BoardID]*noticeBoard
	dirty  []*noticeUser
	tick   uint64
	idle   time.Duration

	rounds atomic.Uint64 // rounds done (tests wait on it)
}

func newNoticer(o NoticeOptions, pub Publisher, now func() time.Time, idle time.Duration, log *slog.Logger,
	m *noticeMetrics) *noticer {
	if o.EndsSoon <= 0 {
		o.EndsSoon = DefaultEndsSoon
	}
	if o.ZoneSettle <= 0 {
		o.ZoneSettle = DefaultZoneSettle
	}
	if o.ZoneGap <= 0 {
		o.ZoneGap = DefaultZoneGap
	}
	return &noticer{o: o, pub: pub, now: now, log: log, m: m, wake: make(chan struct{}, 1),
		boards: map[contest.BoardID]*noticeBoard{}, idle: idle}
}

// offer queues a tick's deltas; nil-safe (notices off).
func (x *noticer) offer(batches [][]aggregator.BoardDelta) {
	if x == nil || len(batches) == 0 {
		return
	}
	x.mu.Lock()
	x.inbox = append(x.inbox, batches...)
	x.mu.Unlock()
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// start runs the noticer until ctx ends; the returned func waits for it.
func (x *noticer) start(ctx context.Context) (wait func()) {
	if x == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		x.run(ctx)
	}()
	return func() { <-done }
}

func (x *noticer) run(ctx context.Context) {
	t := time.NewTicker(noticeEvery)
	defer t.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.wake:
		case <-t.C:
		case <-sweep.C:
			x.sweep()
		}
		x.round(ctx)
	}
}

// round takes the queued deltas, fires what is due and sends it.
func (x *noticer) round(ctx context.Context) {
	x.mu.Lock()
	batches := x.inbox
	x.inbox = nil
	x.mu.Unlock()
	now := x.now()
	for _, deltas := range batches {
		for i := range deltas {
			x.observe(ctx, &deltas[i], now)
		}
	}
	for _, b := range x.boards {
		x.due(b, now)
	}
	if len(x.dirty) > 0 {
		x.flush(ctx)
	}
	x.rounds.Add(1)
}

// sweep forgets boards whose window is over and that were quiet for the
// notifier's IdleBoard.
func (x *noticer) sweep() {
	now := x.now()
	n := 0
	for id, b := range x.boards {
		if now.After(b.end) && now.Sub(b.seen) > x.idle {
			delete(x.boards, id)
			continue
		}
		n += len(b.users)
	}
	x.m.Users.Set(float64(n))
}

// newNotices builds the noticer of opts (nil when notices are off).
func newNotices(opts Options, log *slog.Logger, reg prometheus.Registerer) (*noticer, error) {
	o := opts.Notices
	if o.Contest == nil {
		return nil, nil
	}
	if o.KV != nil && o.JS == nil {
		return nil, fmt.Errorf("%w: Notices.JS is required with Notices.KV", ErrOptions)
	}
	if o.EndsSoon < 0 || o.ZoneSettle < 0 || o.ZoneGap < 0 {
		return nil, fmt.Errorf("%w: negative notice duration", ErrOptions)
	}
	m, err := newNoticeMetrics(reg)
	if err != nil {
		return nil, err
	}
	return newNoticer(o, opts.Publisher, opts.Now, opts.IdleBoard, log, m), nil
}

// startNotices runs the noticer beside Run; the returned func stops it and
// waits.
func (n *Notifier) startNotices(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	wait := n.notices.start(ctx)
	return func() {
		cancel()
		wait()
	}
}

// DeltaTopK is the top length the notices want in the ranker's board
// deltas (RankerOptions.TopK): a prize zone of up to this many positions is
// followed exactly, including users pushed out of it by others.
const DeltaTopK = 100
