// Package notifier pushes live ranks (CONTRACT.md §5). It consumes the
// ranker's per-tick board deltas and publishes on core NATS:
//
//   - lb.<contest>.top: the board's top 10 whenever it differs from the
//     last one published;
//   - lb.<contest>.user.<user_id>: a user's rank whenever its position or
//     score differs from the last one published on that subject, for every
//     user whose standing changed and for every watched user (a player with a
//     WebSocket or NATS subscription), so a watched player learns when others
//     overtake them.
//
// Every subject gets at most one message per Interval (default 275 ms: at
// most 4 a second, with 100 ms to spare for delivery jitter, so no one-second
// window at a subscriber sees a fifth): a change on a quiet subject goes out
// at once; later changes
// within the interval are coalesced, keeping only the latest state, and sent
// when the interval has passed. A message that only others caused (a watched
// player overtaken) waits OvertakenInterval (default 1 s) after the previous
// one instead, so a player in a busy crowd gets about one "you moved" a
// second while their own points still go out within 275 ms. "moved" is
// computed against the previous message of the subject, so places gained or
// lost while coalescing add up.
package notifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/pseudonym"
)

// Publisher publishes one message; *nats.Conn is one.
type Publisher interface {
	Publish(subject string, data []byte) error
}

// ErrOptions is returned by New for unusable options.
var ErrOptions = errors.New("notifier: invalid options")

// Defaults of Options.
const (
	DefaultInterval      = 275 * time.Millisecond
	DefaultOvertaken     = time.Second
	DefaultTopN          = 10
	DefaultInterestEvery = 2 * time.Second
	DefaultIdleBoard     = time.Hour
	DefaultMaxWatched    = 100_000
	// WatchedEvery is the ranker's spacing of the reports of a watched
	// user that others overtook (aggregator.RankerOptions.WatchedEvery): a
	// quarter of DefaultOvertaken, so an overtaken update sent once a
	// second carries a rank at most this much older than the board.
	WatchedEvery = DefaultOvertaken / 4
	// watchRebuild: how often a changed watched set is rebuilt (an
	// unchanged one costs a lock and a flag test).
	watchRebuild = 10 * time.Millisecond
)

// Options of the notifier.
type Options struct {
	// Publisher sends the live messages (required).
	Publisher Publisher
	// Interval is the least time between two messages of one subject
	// (default 275ms: at most 4 a second even with delivery jitter).
	Interval time.Duration
	// OvertakenInterval is the least time before a rank message that only
	// other users' changes caused (default 1s; never less than Interval).
	OvertakenInterval time.Duration
	// TopN is the length of the top message (default 10).
	TopN int
	// Interest, when set, lists the live rank subscriptions NATS knows of
	// (ServerSource on the embedded server, PingSource on an external one);
	// polled every InterestEvery (default 2s), each poll bounded by it.
	Interest      InterestSource
	InterestEvery time.Duration
	// WatchKV, when set, is the watch bucket (streams.EnsureWatch, with TTL
	// WatchTTL) in which the processes share who they see watching; synced
	// every InterestEvery under Instance (watchkv.go).
	WatchKV  jetstream.KeyValue
	Instance string
	WatchTTL time.Duration // default streams.DefaultWatchTTL
	// MaxWatchWrites bounds the watch bucket puts of one sync (default
	// DefaultMaxWatchWrites).
	MaxWatchWrites int
	// MaxWatched bounds the watched (contest, user) pairs the ranker
	// examines per board tick (default DefaultMaxWatched; over it
	// rankstream_notifier_watched_dropped).
	MaxWatched int
	// IdleBoard: the pushed state of a board unchanged this long is
	// forgotten (default 1h).
	IdleBoard time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Pseudonym, when set, replaces the user ids of top messages (config
	// privacy.pseudonym_key); a user's own subject keeps the id.
	Pseudonym pseudonym.Func
	// Notices turn on the notices on lb.<contest>.user.<id>.notice
	// (notices.go); zero: none.
	Notices NoticeOptions
	// Active, when set, says whether this notifier publishes now (the
	// holder of the "notifier" lease when processes share the work). While
	// it returns false the notifier is a standby: it publishes nothing,
	// follows the live subjects through Subscriber to learn what the holder
	// really sent, and keeps from every tick the states no message carried
	// yet; on a takeover it sends those (standby.go), so an update the old
	// holder never sent, or one of the lease's move, is not lost, and
	// nothing the subscribers have is sent again. Nil: always active.
	Active func() bool
	// Subscriber is what a standby follows the live subjects with (default:
	// Publisher, when it is one, as a *nats.Conn is); required with Active.
	Subscriber Subscriber
	// Confirmer, when set (default: Publisher, when it is one), confirms by
	// a round trip every ConfirmEvery (default 1s) that the published
	// messages reached the server; after a reconnect what the old
	// connection may have swallowed is published again (confirm.go).
	Confirmer    Confirmer
	ConfirmEvery time.Duration
}

// Notifier turns board deltas into live messages. OnTick and Watched are the
// ranker's hooks (aggregator.RankerOptions); Watch and Unwatch are the
// WebSocket gateway's. All are safe for concurrent use.
type Notifier struct {
	opts  Options
	log   *slog.Logger
	m     *Metrics
	watch *watchSet
	share *watchKV // nil without Options.WatchKV
	// notices is nil when Options.Notices is off.
	notices *noticer

	inMu  sync.Mutex
	inbox [][]aggregator.BoardDelta
	wake  chan struct{}

	heard []heard // live messages a standby saw, under inMu

	// Owned by the Run goroutine.
	boards map[contest.BoardID]*boardState
	co     *coalescer
	// live: the role last seen (syncRole); follows: a standby's
	// subscriptions of the live subjects, tried last at followTried.
	live        bool
	follows     []*nats.Subscription
	followTried time.Time
	// unconf: the last message per subject no round trip confirmed yet
	// (confirm.go), its size in unconfN for the confirm goroutine;
	// reconnects: the connection's reconnects at the last confirmed round.
	unconf     map[unconfirmedKey]unconfirmed
	unconfN    atomic.Int64
	confirms   chan confirmRound
	reconnects uint64

	stopOnce sync.Once
	stop     chan struct{}
}

// boardState is what was last published for a board.
type boardState struct {
	top []TopRow // nil: never published
	// total is the board's size in its latest delta: a watched user's
	// deferred update goes out with it (the ranker reports a watched rank
	// only when it changes; before, every tick replaced the waiting update).
	total int
	users map[string]pushed
	seen  time.Time
	// want and wantTop (a standby's): the latest state of a subject that
	// differs from the last message it carried (standby.go); nil when none.
	want    map[string]wanted
	wantTop []TopRow
}

// pushed is the state a user's subject last carried for a board.
type pushed struct {
	pos   int
	score int64
}

// New checks opts, fills defaults and registers the metrics on reg (nil: not
// registered).
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*Notifier, error) {
	if opts.Publisher == nil {
		return nil, fmt.Errorf("%w: Publisher is required", ErrOptions)
	}
	if opts.Interval < 0 || opts.OvertakenInterval < 0 || opts.TopN < 0 || opts.InterestEvery < 0 || opts.IdleBoard < 0 ||
		opts.WatchTTL < 0 || opts.MaxWatchWrites < 0 || opts.MaxWatched < 0 || opts.ConfirmEvery < 0 {
		return nil, fmt.Errorf("%w: negative duration or size", ErrOptions)
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.OvertakenInterval == 0 {
		opts.OvertakenInterval = DefaultOvertaken
	}
	if opts.TopN == 0 {
		opts.TopN = DefaultTopN
	}
	if opts.InterestEvery == 0 {
		opts.InterestEvery = DefaultInterestEvery
	}
	if opts.IdleBoard == 0 {
		opts.IdleBoard = DefaultIdleBoard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Subscriber == nil {
		opts.Subscriber, _ = opts.Publisher.(Subscriber)
	}
	if opts.Confirmer == nil {
		opts.Confirmer, _ = opts.Publisher.(Confirmer)
	}
	if opts.ConfirmEvery == 0 {
		opts.ConfirmEvery = DefaultConfirmEvery
	}
	if opts.Active != nil && opts.Subscriber == nil {
		return nil, fmt.Errorf("%w: Active needs a Subscriber (a *nats.Conn Publisher is one)", ErrOptions)
	}
	fillWatchDefaults(&opts)
	if logger == nil {
		logger = slog.Default()
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	log := logger.With("component", "notifier")
	nt, err := newNotices(opts, log, reg)
	if err != nil {
		return nil, err
	}
	n := &Notifier{opts: opts, log: log, m: m, watch: newWatchSet(), notices: nt,
		wake: make(chan struct{}, 1), boards: map[contest.BoardID]*boardState{},
		co: newCoalescer(opts.Interval, opts.OvertakenInterval), stop: make(chan struct{}), live: true,
		unconf: map[unconfirmedKey]unconfirmed{}, confirms: make(chan confirmRound)}
	n.initWatch()
	return n, nil
}

// OnTick is aggregator.RankerOptions.OnTick: it queues the deltas for the
// notifier goroutine and returns at once.
func (n *Notifier) OnTick(deltas []aggregator.BoardDelta) {
	if len(deltas) == 0 {
		return
	}
	select {
	case <-n.stop: // stopped: nobody would take them
		return
	default:
	}
	n.inMu.Lock()
	n.inbox = append(n.inbox, deltas)
	n.inMu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Watched is aggregator.RankerOptions.Watched: the users watching the
// board's contest. It takes no lock and allocates nothing.
func (n *Notifier) Watched(id contest.BoardID) []string { return n.watch.users(id) }

// Watch marks user as watching contestID (a WebSocket subscription); calls
// are counted, each needs its Unwatch.
func (n *Notifier) Watch(contestID, user string) { n.watch.add(contestID, user) }

// Unwatch ends one Watch.
func (n *Notifier) Unwatch(contestID, user string) { n.watch.remove(contestID, user) }

// Stop ends Run. Safe to call twice.
func (n *Notifier) Stop() { n.stopOnce.Do(func() { close(n.stop) }) }

// Run publishes until ctx ends or Stop is called.
func (n *Notifier) Run(ctx context.Context) error {
	defer n.Stop() // later OnTick calls are dropped
	defer n.startNotices(ctx)()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// The watched snapshot is rebuilt within watchRebuild of a change, so
	// that a player who just subscribed is watched by the next ranker tick
	// (ticks follow changes within 10 ms, aggregator/ranker_sched.go).
	rebuild := time.NewTicker(watchRebuild)
	defer rebuild.Stop()
	sweep := time.NewTicker(10 * time.Second)
	defer sweep.Stop()
	stopWatch := n.startWatch(ctx)
	defer stopWatch()
	defer n.unfollow()
	n.syncRole()
	if n.opts.Confirmer != nil {
		n.reconnects = n.opts.Confirmer.Stats().Reconnects
		go n.confirmLoop(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.stop:
			return nil
		case <-n.wake:
			n.process()
		case <-timer.C:
		case r := <-n.confirms:
			n.confirmed(r)
		case <-rebuild.C:
			n.syncRole() // the lease is followed between pushes too
			if s := n.watch.rebuild(); s != nil {
				n.m.Watched.Set(float64(s.n))
				n.m.WatchedDropped.Set(float64(s.dropped))
			}
		case <-sweep.C:
			n.sweep()
		}
		n.syncRole()
		n.flush()
		n.resetTimer(timer)
	}
}

func (n *Notifier) resetTimer(t *time.Timer) {
	d := time.Hour
	if due, ok := n.co.nextDue(); ok {
		d = max(due.Sub(n.opts.Now()), 0)
	}
	t.Reset(d)
}

// sweep forgets idle boards and slots.
func (n *Notifier) sweep() {
	now := n.opts.Now()
	for id, b := range n.boards {
		if now.Sub(b.seen) > n.opts.IdleBoard {
			delete(n.boards, id)
		}
	}
	n.co.sweep(now)
	n.m.Boards.Set(float64(len(n.boards)))
}
