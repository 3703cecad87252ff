// Package etl loads rankstream's record into ClickHouse for BI (CONTRACT.md
// §9): every EVENTS message into events, the scorer's per-contest decisions
// into accruals (derived here by running the live aggregator.Engine over
// EVENTS, so the scorer does no extra work), snapshot rows from Postgres
// into standings, and reward_history rows into rewards.
//
// Exactly once without transactions: each table is loaded in stream (or id)
// order, one INSERT block per batch, and ClickHouse writes a block
// atomically. The position of a table is therefore the highest key it holds
// (max(stream_seq), max(history_id), the last (snapshot_id, pos)), read back
// at start and before every retry; a kill at any moment, including between
// the events and the accruals insert of one batch, repeats nothing and
// loses nothing. See docs/analytics.md.
package etl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/redact"
)

// Options of the etl stage.
type Options struct {
	// URL of the ClickHouse database (clickhouse://host:9000/db).
	URL   string
	JS    jetstream.JetStream
	Rules *contest.Registry
	// DB is the Postgres pool snapshots and reward_history are read from;
	// nil: only events and accruals are loaded.
	DB            *pgxpool.Pool
	MaxFutureSkew time.Duration
	// BatchRows is the most EVENTS messages per insert block (default 20000).
	BatchRows int
	// FlushInterval is the longest a read message waits for its batch (default 500ms).
	FlushInterval time.Duration
	// PollInterval of the Postgres sources (default 2s).
	PollInterval time.Duration
	// InsertTimeout bounds one insert (default 30s).
	InsertTimeout time.Duration
	// Leader, when set, is a lease: the ETL loads only while it holds it,
	// so several processes can run the stage and one loads.
	Leader *aggregator.Leader
}

// ETL is the etl stage.
type ETL struct {
	opts Options
	log  *slog.Logger
	m    *Metrics
	conn driver.Conn

	lagSince atomic.Int64 // unix nanos of the oldest unloaded arrival; 0 caught up

	warnMu sync.Mutex
	warned map[string]time.Time
}

// New validates opts.
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*ETL, error) {
	if opts.URL == "" || opts.JS == nil || opts.Rules == nil {
		return nil, errors.New("etl: needs URL, JS and Rules")
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = 20000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 500 * time.Millisecond
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
	}
	if opts.InsertTimeout <= 0 {
		opts.InsertTimeout = 30 * time.Second
	}
	if logger == nil {
		logger = slog.Default()
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &ETL{opts: opts, log: logger.With("component", "etl"), m: m, warned: map[string]time.Time{}}, nil
}

// Run loads until ctx ends. ClickHouse being down is waited out with
// backoff; only a table with another layout (ErrLayout) stops it.
func (e *ETL) Run(ctx context.Context) error {
	if err := e.connect(ctx); err != nil || e.conn == nil {
		return err
	}
	defer e.conn.Close()
	for ctx.Err() == nil {
		if e.opts.Leader != nil && !e.awaitLease(ctx) {
			break
		}
		if err := e.runLoaders(ctx); err != nil {
			return err
		}
	}
	return nil
}

// connect opens ClickHouse and migrates, retrying while it is unreachable.
func (e *ETL) connect(ctx context.Context) error {
	bo := newBackoff()
	for {
		conn, err := Open(ctx, e.opts.URL)
		if err == nil {
			err = migrate(ctx, conn)
			if err == nil {
				e.conn = conn
				e.m.ClickHouseUp.Set(1)
				e.log.Info("clickhouse ready", "url", redact.URLs(e.opts.URL))
				return nil
			}
			_ = conn.Close()
			if errors.Is(err, ErrLayout) {
				e.log.Error("clickhouse tables do not match", "err", err)
				return err
			}
		}
		e.m.ClickHouseUp.Set(0)
		e.warnOnce("clickhouse not reachable; retrying", "err", err)
		if !bo.wait(ctx) {
			return nil
		}
	}
}

// runLoaders runs every loader until ctx ends or the lease is lost.
func (e *ETL) runLoaders(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if e.opts.Leader != nil {
		go e.watchLease(ctx, cancel)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	run := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("etl: %s: %w", name, err)
				cancel()
			}
		}()
	}
	run("events", e.loadEvents)
	if e.opts.DB != nil {
		run("standings", e.loadStandings)
		run("rewards", e.loadRewards)
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func (e *ETL) awaitLease(ctx context.Context) bool {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !e.opts.Leader.Held() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	e.log.Info("etl lease gained: loading")
	return true
}

func (e *ETL) watchLease(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !e.opts.Leader.Held() {
				e.log.Warn("etl lease lost: stop loading")
				cancel()
				return
			}
		}
	}
}

// warnOnce logs msg at most once a minute.
func (e *ETL) warnOnce(msg string, args ...any) {
	e.warnMu.Lock()
	last, ok := e.warned[msg]
	now := time.Now()
	if !ok || now.Sub(last) > time.Minute {
		e.warned[msg] = now
	}
	e.warnMu.Unlock()
	if !ok || now.Sub(last) > time.Minute {
		e.log.Warn(msg, args...)
	}
}
