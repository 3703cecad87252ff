package rewards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/snapshotter"
	"github.com/rankstream/rankstream/streams"
)

// Options of the rewards stage.
type Options struct {
	// Pool is the application's Postgres pool (internal/db.Open).
	Pool *pgxpool.Pool
	// NC and JS publish the outbox (wallet postings, notices) and consume
	// mission step completions.
	NC *nats.Conn
	JS jetstream.JetStream
	// Contests are the contests in force, used for a rules version that is
	// not stored in contest_versions (optional).
	Contests func() []*contest.Contest
	// MissionsStream is the stream of mission step completions (default
	// "MISSIONS"); the stage waits for it to exist. "-" disables it.
	MissionsStream string
	// FlagsStream is the stream of abuse flag records (default "FLAGS",
	// docs/flags.md); "-" disables the flags consumer.
	FlagsStream string
	// FlagsLeader, when set, is the lease of the flags consumer: it fetches
	// only while this process holds it (one consumer at a time across the
	// processes); the stage runs it. Nil: always (one process).
	FlagsLeader *aggregator.Leader
	// Poll is the time between two rounds of work (default 1s).
	Poll time.Duration
	// Batch bounds the rewards granted and messages relayed per
	// transaction (default 1000).
	Batch int
	// PayoutPart is how many rewards of a board one transaction stores
	// (default DefaultPartRows; board_parts.go).
	PayoutPart int
}

// Stage computes the payouts of final boards, grants, expires and relays.
// Several stages may run against one database and NATS: each reward is
// paid once (see Store).
type Stage struct {
	opts  Options
	log   *slog.Logger
	m     *Metrics
	Store *Store
	snaps *snapshotter.Store

	mu     sync.Mutex
	rules  map[string]*Rules // contest@version, nil: no rewards
	warned map[string]bool
}

// New validates opts and prepares the stage.
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*Stage, error) {
	if opts.Pool == nil || opts.JS == nil || opts.NC == nil {
		return nil, errors.New("rewards: Pool, NC and JS are required")
	}
	if opts.MissionsStream == "" {
		opts.MissionsStream = "MISSIONS"
	}
	if opts.FlagsStream == "" {
		opts.FlagsStream = streams.Flags
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if logger == nil {
		logger = slog.Default()
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	st := NewStore(opts.Pool)
	if opts.PayoutPart > 0 {
		st.PartRows = opts.PayoutPart
	}
	return &Stage{opts: opts, log: logger.With("component", "rewards"), m: m, Store: st,
		snaps: snapshotter.NewStore(opts.Pool), rules: map[string]*Rules{}, warned: map[string]bool{}}, nil
}

// Metrics returns the stage's metrics (shared with the API).
func (s *Stage) Metrics() *Metrics { return s.m }

// Run works until ctx ends: rounds that compute the due boards, grant what
// auto_grant holds due and expire what was not claimed in time; alongside,
// the outbox relay and the mission consumer.
func (s *Stage) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if s.opts.MissionsStream != "-" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.consumeMissions(ctx)
		}()
	}
	if s.opts.FlagsStream != "-" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.consumeFlags(ctx)
		}()
	}
	if l := s.opts.FlagsLeader; l != nil && s.opts.FlagsStream != "-" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.fail(ctx, "flags lease", l.Run(ctx))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		every(ctx, s.opts.Poll, func() { s.fail(ctx, "relay", s.relayAll(ctx)) })
	}()
	every(ctx, s.opts.Poll, func() { s.work(ctx) })
	return nil
}

// every calls fn, then again each d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Stage) fail(ctx context.Context, what string, err error) {
	if err != nil && ctx.Err() == nil {
		s.m.GrantErrors.Inc()
		s.log.Error(what, "err", err)
	}
}

// Round does one round of all the work, the relay included; errors are
// logged, counted and retried next round.
func (s *Stage) Round(ctx context.Context) {
	s.work(ctx)
	s.fail(ctx, "relay", s.relayAll(ctx))
}

func (s *Stage) work(ctx context.Context) {
	s.fail(ctx, "compute payouts", s.computeDue(ctx))
	s.fail(ctx, "hold flagged", s.Store.HoldFlagged(ctx))
	for {
		n, err := s.Store.GrantDue(ctx, s.opts.Batch)
		s.m.Granted.Add(float64(n))
		s.fail(ctx, "auto grant", err)
		if err != nil || n < s.opts.Batch {
			break
		}
	}
	_, err := s.Store.ExpireDue(ctx)
	s.fail(ctx, "expire", err)
}

func (s *Stage) relayAll(ctx context.Context) error {
	for {
		n, err := s.Store.Relay(ctx, s.opts.NC, s.opts.JS, s.opts.Batch)
		s.m.Relayed.Add(float64(n))
		if err != nil || n < s.opts.Batch {
			return err
		}
	}
}

// finalBoard is a committed final snapshot without stored payouts.
type finalBoard struct {
	snapshotID  int64
	board       Board
	ruleVersion int
	takenAt     time.Time
}

// computeDue stores the payouts of every final board whose dispute window
// has passed and that has none yet.
func (s *Stage) computeDue(ctx context.Context) error {
	rows, err := s.opts.Pool.Query(ctx, `SELECT s.id, s.contest_id, s.window_start, s.division, s.rule_version,
		s.standings_hash, s.taken_at FROM snapshots s WHERE s.kind = 'final' AND NOT EXISTS (SELECT 1 FROM reward_boards b
		WHERE b.contest_id = s.contest_id AND b.window_start = s.window_start AND b.division = s.division)
		ORDER BY s.id LIMIT 100`)
	if err != nil {
		return fmt.Errorf("rewards: final snapshots: %w", err)
	}
	var due []finalBoard
	for rows.Next() {
		var (
			f    finalBoard
			hash []byte
		)
		if err := rows.Scan(&f.snapshotID, &f.board.Contest, &f.board.Window, &f.board.Division, &f.ruleVersion, &hash, &f.takenAt); err != nil {
			rows.Close()
			return fmt.Errorf("rewards: scan snapshot: %w", err)
		}
		f.board.Window = f.board.Window.UTC()
		copy(f.board.StandingsHash[:], hash)
		due = append(due, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rewards: final snapshots: %w", err)
	}
	var errs []error
	for _, f := range due {
		errs = append(errs, s.computeBoard(ctx, f))
	}
	return errors.Join(errs...)
}

func (s *Stage) computeBoard(ctx context.Context, f finalBoard) error {
	r, err := s.rulesOf(ctx, f.board.Contest, f.ruleVersion)
	if err != nil {
		key := fmt.Sprintf("%s@%d", f.board.Contest, f.ruleVersion)
		s.mu.Lock()
		warned := s.warned[key]
		s.warned[key] = true
		s.mu.Unlock()
		if !warned {
			s.log.Error("rewards rules unusable; board not paid", "contest", f.board.Contest, "version", f.ruleVersion, "err", err)
		}
		return nil
	}
	if r != nil && time.Now().Before(f.takenAt.Add(r.DisputeWindow)) {
		return nil
	}
	var res Result
	if r != nil {
		entries, err := s.entries(ctx, f.snapshotID)
		if err != nil {
			return err
		}
		if res, err = Compute(r, f.board, entries); err != nil {
			return err
		}
	}
	saved, err := s.Store.SaveBoard(ctx, f.board, f.snapshotID, f.ruleVersion, r, res)
	if err != nil {
		return err
	}
	if saved && r != nil {
		s.m.Boards.Inc()
		s.m.BoardPaid.WithLabelValues(f.board.Contest, f.board.Division).Set(float64(res.Total()))
		s.m.BoardPool.WithLabelValues(f.board.Contest, f.board.Division).Set(float64(r.TotalMinor))
		if r.AutoGrant {
			s.m.Granted.Add(float64(len(res.Payouts)))
		}
		s.log.Info("payouts computed", "contest", f.board.Contest, "window", WindowString(f.board.Window),
			"division", f.board.Division, "winners", len(res.Payouts), "paid", res.Total(), "pool", r.TotalMinor)
	}
	return nil
}

func (s *Stage) entries(ctx context.Context, snapshotID int64) ([]Entry, error) {
	rows, err := s.snaps.Rows(ctx, snapshotID)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{Pos: r.Pos, User: r.User, Score: r.Standing.Score}
	}
	return out, nil
}

// rulesOf returns the rewards rules of a contest version (nil: it has no
// rewards): the stored version, else the contest in force with that
// version.
func (s *Stage) rulesOf(ctx context.Context, id string, version int) (*Rules, error) {
	key := fmt.Sprintf("%s@%d", id, version)
	s.mu.Lock()
	r, ok := s.rules[key]
	s.mu.Unlock()
	if ok {
		return r, nil
	}
	c, err := s.contestVersion(ctx, id, version)
	if err != nil {
		return nil, err
	}
	if r, err = ParseRules(c); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.rules[key] = r
	s.mu.Unlock()
	return r, nil
}

func (s *Stage) contestVersion(ctx context.Context, id string, version int) (*contest.Contest, error) {
	var body []byte
	err := s.opts.Pool.QueryRow(ctx, `SELECT body FROM contest_versions WHERE contest_id = $1 AND version = $2`,
		id, version).Scan(&body)
	if err == nil {
		c, err := contest.Parse(fmt.Sprintf("%s@v%d", id, version), body)
		if err != nil {
			return nil, err
		}
		c.Version = version
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("rewards: contest version: %w", err)
	}
	if s.opts.Contests != nil {
		for _, c := range s.opts.Contests() {
			if c.ID == id && c.Version == version {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("rewards: contest %s version %d not found", id, version)
}
