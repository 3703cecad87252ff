package snapshotter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// Options configure the snapshotter stage.
type Options struct {
	Store  *Store
	JS     jetstream.JetStream
	Rules  *contest.Registry
	Scorer Scores // sources.go
	Ranker Boards
	// Interval between snapshots of the live boards (default 1h).
	Interval time.Duration
	// Poll is how often windows are checked for turning final (default 1s).
	Poll time.Duration
	// FinalDelay is waited after end+lateness (or an operator's close) before
	// the final snapshot, so that events stored right at that instant are in
	// the stream when it is read (default 2s).
	FinalDelay time.Duration
	// Settle is how long SCORES must stay still for an exact cut (default 150ms).
	Settle time.Duration
	// SyncTimeout bounds the wait for the scorer and ranker (default 2m).
	SyncTimeout time.Duration
	Now         func() time.Time
	Metrics     *Metrics
}

// Snapshotter is the stage. Run drives it; FinalizeWindow serves operators.
type Snapshotter struct {
	opts Options
	log  *slog.Logger
	m    *Metrics

	mu   sync.Mutex // one snapshot pass at a time
	done map[contest.BoardID]bool
}

// New validates opts and fills defaults.
func New(opts Options, logger *slog.Logger) (*Snapshotter, error) {
	if opts.Store == nil || opts.JS == nil || opts.Rules == nil || opts.Scorer == nil || opts.Ranker == nil {
		return nil, errors.New("snapshotter: needs Store, JS, Rules, Scorer and Ranker")
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Hour
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.FinalDelay == 0 {
		opts.FinalDelay = 2 * time.Second
	}
	if opts.Settle <= 0 {
		opts.Settle = 150 * time.Millisecond
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = 2 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Snapshotter{opts: opts, log: logger.With("component", "snapshotter"), m: opts.Metrics,
		done: map[contest.BoardID]bool{}}, nil
}

// Run writes hourly snapshots of live boards and final snapshots of windows
// that turn final, until ctx ends.
func (s *Snapshotter) Run(ctx context.Context) error {
	poll := time.NewTicker(s.opts.Poll)
	defer poll.Stop()
	hourly := time.NewTicker(s.opts.Interval)
	defer hourly.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
			if err := s.Finals(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("final snapshots", "err", err)
			}
		case <-hourly.C:
			if err := s.Hourly(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("hourly snapshots", "err", err)
			}
		}
	}
}

// isFinal reports whether board id's window no longer takes events at now.
func (s *Snapshotter) isFinal(id contest.BoardID, now time.Time) (bool, bool) {
	c := s.opts.Rules.Get(id.Contest)
	if c == nil {
		return false, false
	}
	win, ok := c.WindowAt(time.Unix(id.Window, 0))
	if !ok {
		return false, false
	}
	if at, closed := s.opts.Rules.ClosedAt(id.Contest, id.Window); closed && !now.Before(at.Add(s.opts.FinalDelay)) {
		return true, true
	}
	return !now.Before(win.End.Add(c.Lateness).Add(s.opts.FinalDelay)), true
}

// Finals writes the final snapshot of every board whose window has turned
// final and has none yet. Nothing happens while the scorer catches up.
func (s *Snapshotter) Finals(ctx context.Context) error {
	if !s.opts.Scorer.CaughtUp() || !s.opts.Ranker.Ready() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	var due []contest.BoardID
	for _, id := range s.opts.Ranker.OwnedBoardIDs() {
		if s.done[id] {
			continue
		}
		if final, known := s.isFinal(id, now); !known || !final {
			continue
		}
		has, err := s.opts.Store.HasFinal(ctx, id)
		if err != nil {
			return err
		}
		if has {
			s.done[id] = true
			continue
		}
		due = append(due, id)
	}
	if len(due) == 0 {
		return nil
	}
	_, err := s.write(ctx, due, KindFinal)
	return err
}

// Hourly writes a snapshot of every board whose window still takes events,
// unless its standings and rule version are those of its latest snapshot.
// Only the boards this process owns are snapshotted (their board group's
// lease, or the snapshotter lease of a snapshotter of its own).
func (s *Snapshotter) Hourly(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	var ids []contest.BoardID
	for _, id := range s.opts.Ranker.OwnedBoardIDs() {
		if final, known := s.isFinal(id, now); known && !final {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.write(ctx, ids, KindHourly)
	return err
}

// FinalizeWindow writes the final snapshot of every board of a contest
// window now, after the scorer and ranker have covered the stream. The
// caller has closed the window first (Rules.CloseWindow), so nothing that
// arrives later can change it. Boards that already have a final snapshot
// keep it; their stored header is returned.
func (s *Snapshotter) FinalizeWindow(ctx context.Context, contestID string, window int64) ([]Header, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Let an event stored at the very instant of the close reach the stream.
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("snapshotter: finalize: %w", ctx.Err())
	case <-time.After(s.opts.Settle):
	}
	var ids []contest.BoardID
	for _, id := range s.opts.Ranker.BoardIDs() {
		if id.Contest == contestID && id.Window == window {
			ids = append(ids, id)
		}
	}
	return s.write(ctx, ids, KindFinal)
}

// write takes one cut of the streams with a copy of every board at it, then
// writes each board outside of the ranker's lock.
func (s *Snapshotter) write(ctx context.Context, ids []contest.BoardID, kind string) ([]Header, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	sort.Slice(ids, func(i, j int) bool { return boardLess(ids[i], ids[j]) })
	cut, copies, err := s.sync(ctx, ids)
	if err != nil {
		s.m.Errors.WithLabelValues(kind).Add(float64(len(ids)))
		return nil, err
	}
	var out []Header
	var errs []error
	for _, id := range ids {
		h, err := s.writeOne(ctx, id, kind, cut, copies[id])
		delete(copies, id) // let the rows go once written
		switch {
		case errors.Is(err, errUnchanged):
		case errors.Is(err, ErrFinalExists):
			s.done[id] = true
			if f, err := s.opts.Store.FinalSnapshot(ctx, id); err == nil {
				out = append(out, f.Header)
			}
		case err != nil:
			s.m.Errors.WithLabelValues(kind).Inc()
			errs = append(errs, fmt.Errorf("board %s/%d/%s: %w", id.Contest, id.Window, id.Division, err))
		default:
			if kind == KindFinal {
				s.done[id] = true
			}
			out = append(out, h)
		}
	}
	return out, errors.Join(errs...)
}

var errUnchanged = errors.New("snapshotter: unchanged since the last snapshot")

func (s *Snapshotter) writeOne(ctx context.Context, id contest.BoardID, kind string, cut Cut, copied aggregator.CopiedBoard) (Header, error) {
	c := s.opts.Rules.Get(id.Contest)
	if c == nil {
		return Header{}, fmt.Errorf("snapshotter: contest %s not in force", id.Contest)
	}
	win, ok := c.WindowAt(time.Unix(id.Window, 0))
	if !ok {
		return Header{}, fmt.Errorf("snapshotter: contest %s has no window at %d", id.Contest, id.Window)
	}
	t0 := time.Now()
	rows := copied.Sorted()
	if len(rows) == 0 {
		return Header{}, errUnchanged // nothing on the board (gone meanwhile)
	}
	if kind == KindHourly {
		if last, err := s.opts.Store.LatestHeader(ctx, id); err == nil &&
			last.RuleVersion == c.Version && last.StandingsHash == StandingsHash(rows) {
			return Header{}, errUnchanged
		}
	}
	snap := &Snapshot{Header: Header{Board: id, WindowEnd: win.End, Kind: kind, RuleVersion: c.Version,
		EventsSeq: cut.EventsSeq, EventsCut: cut.EventsCut, ScoresSeq: cut.ScoresSeq}, Rows: rows}
	t1 := time.Now()
	h, err := s.opts.Store.Write(ctx, snap)
	if err != nil {
		return Header{}, err
	}
	s.m.WriteSeconds.Observe(time.Since(t1).Seconds())
	s.m.Written.WithLabelValues(kind).Inc()
	s.m.Rows.Add(float64(len(rows)))
	s.log.Info("snapshot written", "kind", kind, "contest", id.Contest, "window", win.Start, "division", id.Division,
		"id", h.ID, "entries", h.Entries, "events_seq", h.EventsSeq, "exact", cut.Quiet, "took", time.Since(t0))
	return h, nil
}

func boardLess(a, b contest.BoardID) bool {
	if a.Contest != b.Contest {
		return a.Contest < b.Contest
	}
	if a.Window != b.Window {
		return a.Window < b.Window
	}
	return a.Division < b.Division
}
