package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// RankerOptions configure the ranker.
type RankerOptions struct {
	JS      jetstream.JetStream
	Rules   *contest.Registry
	Writer  *readmodel.Writer // nil: no read model (tests, replay)
	Tick    time.Duration     // default 100ms
	Metrics *Metrics
	// OnTick, when set, is called after each tick with the boards that changed
	// (for the notifier). It runs on the ranker goroutine: keep it short.
	OnTick func(changes []BoardDelta)
	// Watched, when set, lists the users whose rank must be reported in
	// BoardDelta.Ranks every tick their board changes (players with a live
	// subscription), so they learn when others overtake them.
	Watched func(id contest.BoardID) []string
	// TopK is the size of BoardDelta.Top (default 10).
	TopK int
	// Leader, when set, gates the read-model writes and OnTick: every
	// process ranks every board, only the lease holder writes and pushes.
	Leader *Leader
	// FinishedWindows releases a window's boards this long after its end +
	// lateness, on SCORES stream time (retention.finished_windows; 0: never;
	// see ranker_release.go).
	FinishedWindows time.Duration
}

// BoardDelta is what changed on one board during a tick.
type BoardDelta struct {
	ID      contest.BoardID
	Changed []UserDelta
	// Top is the board's top K after the tick.
	Top []Rank
	// Ranks holds the position after the tick of every changed user and of
	// every watched user of the board.
	Ranks map[string]Rank
	// Total is the number of users on the board.
	Total int
	// EventTime is the stream time of the oldest event among the changes
	// (zero: unknown), for the event → pushed latency.
	EventTime time.Time
}

// Rank is a user's position on a board.
type Rank struct {
	Pos   int    `json:"pos"`
	User  string `json:"user"`
	Score int64  `json:"score"`
	// GapToNext is the score difference to the position above; nil at 1.
	GapToNext *int64 `json:"gap_to_next"`
	// LastPoints is the user's last accrual.
	LastPoints int64 `json:"points"`
}

// UserDelta is one user's new standing on a board.
type UserDelta struct {
	User     string
	Standing contest.Standing
	Removed  bool
}

// readerStall is how long the ranker tolerates its SCORES reader making no
// progress while the stream has more before it restarts the reader.
const readerStall = 5 * time.Second

// Ranker owns boards: it reads SCORES, keeps each board in an order-statistic
// tree and writes the changes of each tick to the Redis read model.
type Ranker struct {
	opts RankerOptions
	log  *slog.Logger
	m    *Metrics

	mu     sync.Mutex
	boards map[contest.BoardID]*rboard

	applied    uint64 // highest SCORES sequence applied (ranker goroutine, under mu)
	ready      atomic.Bool
	processed  atomic.Uint64
	lastMsg    atomic.Int64    // SCORES stream time (Unix ns) of the last message applied
	wroteEpoch uint64          // Leader epoch of the last full write (ranker goroutine)
	cuts       map[int]cutMark // partition → last cut marker applied (under mu; cut.go)
	now        time.Time       // stream time: latest SCORES timestamp applied (under mu)
}

type rboard struct {
	id    contest.BoardID
	lb    contest.Leaderboard
	tree  *board.Tree
	st    map[string]contest.Standing
	dirty map[string]*dirtyEntry
	key   []int64
	// since is the stream time of the oldest event among the dirty changes
	// (zero: none known); it is the tick's event → visible latency.
	since time.Time
	// src is the contest version lb came from; replace: re-keyed for a new
	// one, to be written in full (ranker_rules.go).
	src     *contest.Contest
	replace bool
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
	if opts.TopK == 0 {
		opts.TopK = 10
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Ranker{opts: opts, log: logger.With("component", "ranker"), m: opts.Metrics,
		boards: map[contest.BoardID]*rboard{}}, nil
}

// Writes reports whether this process writes the read model (and pushes and
// snapshots) now: always without a Leader, else while holding its lease.
func (r *Ranker) Writes() bool { return r.writes() }

// Ready reports whether the boards are loaded and written to the read model.
func (r *Ranker) Ready() bool { return r.ready.Load() }

// Processed is the highest SCORES sequence applied.
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
	startLast := info.State.LastSeq
	msgs := make(chan jetstream.Msg, 8192)
	errc := make(chan error, 1)
	var cur jetstream.MessagesContext
	// read (re)starts the ordered consumer at from. A restarted reader may
	// deliver what an old one already did: apply skips sequences it has.
	read := func(from uint64) error {
		cfg := jetstream.OrderedConsumerConfig{}
		if from > 1 {
			cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			cfg.OptStartSeq = from
		}
		cons, err := r.opts.JS.OrderedConsumer(ctx, streams.Scores, cfg)
		if err != nil {
			return fmt.Errorf("aggregator: ranker: consumer: %w", err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(4096))
		if err != nil {
			return fmt.Errorf("aggregator: ranker: messages: %w", err)
		}
		cur = it
		go func() {
			for {
				msg, err := it.Next()
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
						select {
						case errc <- err:
						default:
						}
					}
					return
				}
				select {
				case msgs <- msg:
				case <-ctx.Done():
					return
				}
			}
		}()
		return nil
	}
	if err := read(1); err != nil {
		return err
	}
	defer func() { cur.Stop() }() // the current reader, whichever it is then
	// restart replaces a reader that failed or stalled: seen on a cluster
	// losing the node that served the ordered consumer, which then stopped
	// delivering without an error.
	restart := func(why string, err error) {
		r.log.Warn("SCORES reader restarted", "why", why, "from_seq", r.applied+1, "err", err)
		r.m.ReaderRestarts.Inc()
		cur.Stop()
		for ctx.Err() == nil {
			if err := read(r.applied + 1); err == nil {
				return
			} else {
				r.log.Warn("SCORES reader restart failed, retrying", "err", err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	var lastP uint64
	lastMove := time.Now()

	caught := startLast == 0
	if caught {
		r.goLive(ctx, start)
	}
	tick := time.NewTicker(r.opts.Tick)
	defer tick.Stop()
	lagT := time.NewTicker(time.Second)
	defer lagT.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			restart("read error", err)
		case msg, ok := <-msgs:
			if !ok {
				return nil
			}
			r.mu.Lock()
			seq := r.apply(msg)
			// Apply what is already buffered under the same lock.
		drain:
			for n := 0; n < 1024; n++ {
				select {
				case m2, ok := <-msgs:
					if !ok {
						break drain
					}
					seq = r.apply(m2)
				default:
					break drain
				}
			}
			r.mu.Unlock()
			if seq > 0 {
				r.processed.Store(seq)
			}
			if !caught && seq >= startLast {
				caught = true
				r.goLive(ctx, start)
			}
		case <-tick.C:
			if caught {
				r.tick(ctx)
			}
		case <-lagT.C:
			if caught {
				r.releaseFinished(ctx, stream)
			}
			// Bounded: a request that went to a node being lost waits for
			// the context's deadline, and this loop is the ranker's only one.
			ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
			info, err := stream.Info(ictx)
			cancel()
			if err == nil {
				p := r.processed.Load()
				lag := 0.0
				if info.State.LastSeq > p {
					lag = float64(info.State.LastSeq - p)
				}
				r.m.Lag.WithLabelValues("ranker").Set(lag)
				r.m.LagSeconds.WithLabelValues("ranker").Set(lagSeconds(lag, time.Unix(0, r.lastMsg.Load())))
				switch now := time.Now(); {
				case lag == 0 || p != lastP:
					lastP, lastMove = p, now
				case now.Sub(lastMove) > readerStall:
					restart("no progress", fmt.Errorf("%d messages behind for %s", int64(lag), now.Sub(lastMove).Round(time.Second)))
					lastMove = now
				}
			}
		}
	}
}

// apply applies one SCORES message; it returns the message's stream sequence.
func (r *Ranker) apply(msg jetstream.Msg) uint64 {
	meta, err := msg.Metadata()
	if err != nil {
		return 0
	}
	if meta.Sequence.Stream <= r.applied {
		return r.applied // delivered again by a restarted reader
	}
	r.applied = meta.Sequence.Stream
	r.lastMsg.Store(meta.Timestamp.UnixNano())
	if meta.Timestamp.After(r.now) {
		r.now = meta.Timestamp
	}
	if r.applyCut(msg.Subject(), msg.Data()) {
		return meta.Sequence.Stream
	}
	cid, win, div, user, ok := streams.ParseScoreSubject(msg.Subject())
	if !ok {
		return meta.Sequence.Stream
	}
	sm, err := decodeScoreMsg(msg.Data())
	if err != nil {
		r.log.Warn("bad standing message", "subject", msg.Subject(), "err", err)
		return meta.Sequence.Stream
	}
	c := r.opts.Rules.Get(cid)
	if c == nil {
		return meta.Sequence.Stream
	}
	id := contest.BoardID{Contest: cid, Window: win, Division: div}
	b := r.boards[id]
	if b == nil {
		if sm.Removed {
			return meta.Sequence.Stream
		}
		b = &rboard{id: id, lb: c.Leaderboard, tree: board.New(c.Leaderboard.KeyWords()),
			st: map[string]contest.Standing{}, dirty: map[string]*dirtyEntry{}, src: c}
		r.boards[id] = b
	} else if b.src != c {
		r.rekey(b, c)
	}
	b.set(user, sm)
	if et := eventTime(msg); !et.IsZero() && r.ready.Load() {
		r.m.EventLatency.WithLabelValues(LatencyRanked).Observe(time.Since(et).Seconds())
		if b.since.IsZero() || et.Before(b.since) {
			b.since = et
		}
	}
	return meta.Sequence.Stream
}

func (b *rboard) set(user string, sm ScoreMsg) {
	var old []int64
	var changed bool
	if sm.Removed {
		old, changed = b.tree.Delete(user)
		delete(b.st, user)
	} else {
		b.key = b.lb.SortKey(sm.Standing, b.key)
		old, changed = b.tree.Upsert(user, b.key)
		if prev, ok := b.st[user]; ok && prev.LastPoints != sm.Standing.LastPoints {
			changed = true
		}
		b.st[user] = sm.Standing
	}
	if !changed {
		return
	}
	if d, ok := b.dirty[user]; ok {
		d.removed = sm.Removed
		return
	}
	b.dirty[user] = &dirtyEntry{old: old, removed: sm.Removed}
}

func (r *Ranker) meta(b *rboard) readmodel.BoardMeta {
	return readmodel.BoardMeta{NWords: b.tree.NWords(), Order: b.lb.Order, UpdatedAt: time.Now().UTC(), ExpireAt: r.expireAt(b.id)}
}

// goLive writes every board to the read model in full (when this process
// writes it), then marks ready.
func (r *Ranker) goLive(ctx context.Context, start time.Time) {
	if l := r.opts.Leader; l != nil {
		// The first lease round decides whether this process writes.
		for !l.Decided() && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for ctx.Err() == nil {
		err := r.writeAll(ctx)
		if err == nil {
			break
		}
		r.m.RedisErrors.Inc()
		r.log.Error("read model rebuild failed, retrying", "err", err)
		time.Sleep(500 * time.Millisecond)
	}
	r.ready.Store(true)
	r.m.CatchupSeconds.WithLabelValues("ranker").Set(time.Since(start).Seconds())
	r.log.Info("ranker caught up", "boards", len(r.BoardIDs()), "took", time.Since(start))
}

// writeAll replaces every board of the read model by the ranker's (when
// this process writes the read model) and clears the dirty sets.
func (r *Ranker) writeAll(ctx context.Context) error {
	if r.opts.Writer == nil || !r.writes() {
		r.discardDirty()
		return nil
	}
	epoch := uint64(0)
	if r.opts.Leader != nil {
		epoch = r.opts.Leader.Epoch()
	}
	ids := r.BoardIDs()
	sort.Slice(ids, func(i, j int) bool {
		return ids[i].Contest+strconv.FormatInt(ids[i].Window, 10)+ids[i].Division < ids[j].Contest+strconv.FormatInt(ids[j].Window, 10)+ids[j].Division
	})
	for _, id := range ids {
		r.mu.Lock()
		b := r.boards[id]
		err := r.opts.Writer.Replace(ctx, id, r.meta(b), func(yield func(string, []int64) bool) {
			b.tree.Each(func(_ int, user string, key []int64) bool { return yield(user, key) })
		})
		if err == nil {
			clear(b.dirty)
		}
		r.mu.Unlock()
		if err != nil {
			return fmt.Errorf("aggregator: ranker: rebuild board %s/%d/%s: %w", id.Contest, id.Window, id.Division, err)
		}
	}
	r.wroteEpoch = epoch
	return nil
}

// writes reports whether this process writes the read model and pushes.
func (r *Ranker) writes() bool { return r.opts.Leader == nil || r.opts.Leader.Held() }

// discardDirty forgets the pending changes: another process writes them.
func (r *Ranker) discardDirty() {
	r.mu.Lock()
	for _, b := range r.boards {
		clear(b.dirty)
	}
	r.mu.Unlock()
}

// tick writes this tick's changes: nothing but forgetting them when another
// process holds the ranker lease; every board in full right after this
// process gained it (the read model holds what the previous holder wrote);
// the changes otherwise.
func (r *Ranker) tick(ctx context.Context) {
	if l := r.opts.Leader; l != nil {
		if !l.Held() {
			r.discardDirty()
			return
		}
		if l.Epoch() != r.wroteEpoch {
			if err := r.writeAll(ctx); err != nil {
				r.m.RedisErrors.Inc()
				r.log.Error("read model rebuild after gaining the lease failed, retrying next tick", "err", err)
			} else {
				r.log.Info("ranker lease gained: read model rebuilt", "boards", len(r.BoardIDs()))
			}
			return
		}
	}
	if err := r.replaceRekeyed(ctx); err != nil {
		r.m.RedisErrors.Inc()
		r.log.Error("read model rewrite failed, retrying next tick", "err", err)
		return
	}
	r.flush(ctx)
}

// flush writes the tick's changes to the read model and tells OnTick. The
// dirty set of each board is taken out under the lock; if the write fails it is
// merged back so the next tick retries with the keys Redis still holds.
func (r *Ranker) flush(ctx context.Context) {
	t0 := time.Now()
	r.mu.Lock()
	var changes []readmodel.BoardChange
	var deltas []BoardDelta
	taken := map[contest.BoardID]map[string]*dirtyEntry{}
	now := time.Now().UTC()
	for _, b := range r.boards {
		if len(b.dirty) == 0 {
			continue
		}
		dirty := b.dirty
		b.dirty = make(map[string]*dirtyEntry, len(dirty))
		taken[b.id] = dirty
		bc := readmodel.BoardChange{ID: b.id, Meta: r.meta(b)}
		bc.Meta.UpdatedAt = now
		bd := BoardDelta{ID: b.id, EventTime: b.since}
		b.since = time.Time{}
		for u, d := range dirty {
			if d.removed {
				if d.old != nil {
					bc.Deletes = append(bc.Deletes, readmodel.DeleteEntry{User: u, OldKey: d.old})
					bd.Changed = append(bd.Changed, UserDelta{User: u, Removed: true})
				}
				continue
			}
			key, _ := b.tree.Get(u)
			bc.Upserts = append(bc.Upserts, readmodel.Upsert{User: u, Key: key, OldKey: d.old})
			bd.Changed = append(bd.Changed, UserDelta{User: u, Standing: b.st[u]})
		}
		if r.opts.OnTick != nil {
			r.fillRanks(b, &bd)
		}
		changes = append(changes, bc)
		deltas = append(deltas, bd)
		r.m.BoardEntries.WithLabelValues(b.id.Contest, strconv.FormatInt(b.id.Window, 10), b.id.Division).Set(float64(b.tree.Len()))
	}
	r.m.Boards.Set(float64(len(r.boards)))
	r.mu.Unlock()
	if len(changes) == 0 {
		return
	}
	if r.opts.Writer != nil {
		if err := r.opts.Writer.Apply(ctx, changes); err != nil {
			r.m.RedisErrors.Inc()
			r.log.Error("read model write failed, retrying next tick", "err", err)
			r.mu.Lock()
			for id, dirty := range taken {
				b := r.boards[id]
				for u, d := range dirty {
					if nd, ok := b.dirty[u]; ok {
						nd.old = d.old // Redis still holds the key from before
					} else {
						b.dirty[u] = d
					}
				}
			}
			r.mu.Unlock()
			return
		}
	}
	r.m.TickSeconds.Observe(time.Since(t0).Seconds())
	for _, d := range deltas {
		if !d.EventTime.IsZero() {
			r.m.EventLatency.WithLabelValues(LatencyVisible).Observe(time.Since(d.EventTime).Seconds())
		}
	}
	if r.opts.OnTick != nil {
		r.opts.OnTick(deltas)
	}
}

// rankOf returns user's position on b; ok false when absent. Caller holds mu.
func (b *rboard) rankOf(user string) (Rank, bool) {
	pos, ok := b.tree.Rank(user)
	if !ok {
		return Rank{}, false
	}
	st := b.st[user]
	rk := Rank{Pos: pos, User: user, Score: st.Score, LastPoints: st.LastPoints}
	if pos > 1 {
		if _, key, ok := b.tree.At(pos - 1); ok {
			gap := contest.Gap(b.lb.ScoreFromKey(key[0]), st.Score)
			rk.GapToNext = &gap
		}
	}
	return rk, true
}

// fillRanks computes the top K and the ranks of changed and watched users.
func (r *Ranker) fillRanks(b *rboard, bd *BoardDelta) {
	bd.Total = b.tree.Len()
	b.tree.Range(1, r.opts.TopK, func(pos int, user string, key []int64) bool {
		bd.Top = append(bd.Top, Rank{Pos: pos, User: user, Score: b.lb.ScoreFromKey(key[0]), LastPoints: b.st[user].LastPoints})
		return true
	})
	bd.Ranks = make(map[string]Rank, len(bd.Changed))
	for _, u := range bd.Changed {
		if rk, ok := b.rankOf(u.User); ok {
			bd.Ranks[u.User] = rk
		}
	}
	if r.opts.Watched != nil {
		for _, u := range r.opts.Watched(b.id) {
			if _, done := bd.Ranks[u]; done {
				continue
			}
			if rk, ok := b.rankOf(u); ok {
				bd.Ranks[u] = rk
			}
		}
	}
}

// Row is one position of a board, for tests and replay.
type Row struct {
	Pos      int
	User     string
	Standing contest.Standing
}

// Board returns the standings of a board in order (nil when unknown).
func (r *Ranker) Board(id contest.BoardID) []Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.boards[id]
	if b == nil {
		return nil
	}
	rows := make([]Row, 0, b.tree.Len())
	b.tree.Each(func(pos int, user string, _ []int64) bool {
		rows = append(rows, Row{Pos: pos, User: user, Standing: b.st[user]})
		return true
	})
	return rows
}

// BoardIDs lists the boards held.
func (r *Ranker) BoardIDs() []contest.BoardID {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]contest.BoardID, 0, len(r.boards))
	for id := range r.boards {
		ids = append(ids, id)
	}
	return ids
}
