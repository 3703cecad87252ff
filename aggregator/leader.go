package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// Leader is a lease held by at most one process at a time: a key of the
// RANKSTREAM_LEASES bucket (whose keys expire LeaseTTL after their last
// write), taken with Create and refreshed with compare-and-set Update, like
// the partition leases. Every process ranks every board from SCORES, but only
// the holder of the "ranker" lease writes the Redis read model, pushes live
// ranks and writes snapshots, so those have one writer however many
// processes run the aggregator.
//
// A holder that cannot refresh for TTL/2 gives the lease up before it can
// expire, so a new holder (which can only Create once the key expired) never
// overlaps with an old one while NATS answers. Epoch grows every time the
// lease is gained: a new holder writes full boards, not diffs.
type Leader struct {
	js       jetstream.JetStream
	name     string
	instance string
	ttl      time.Duration
	replicas int
	log      *slog.Logger
	m        *Metrics

	held    atomic.Bool
	epoch   atomic.Uint64
	ready   atomic.Bool // one round done: Held is meaningful
	rev     uint64
	renewed time.Time
}

// LeaderOptions configure a Leader.
type LeaderOptions struct {
	JS       jetstream.JetStream
	Name     string // lease name, e.g. "ranker"
	Instance string // this process, unique among the processes
	TTL      time.Duration
	Replicas int
	Metrics  *Metrics
}

// NewLeader validates opts.
func NewLeader(opts LeaderOptions, logger *slog.Logger) (*Leader, error) {
	if opts.JS == nil || opts.Name == "" || opts.Instance == "" {
		return nil, errors.New("aggregator: leader needs JS, Name and Instance")
	}
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Leader{js: opts.JS, name: opts.Name, instance: opts.Instance, ttl: opts.TTL, replicas: opts.Replicas,
		log: logger.With("component", "leader", "lease", opts.Name), m: opts.Metrics}, nil
}

// Held reports whether this process holds the lease now.
func (l *Leader) Held() bool { return l.held.Load() }

// Epoch counts the times the lease was gained by this process.
func (l *Leader) Epoch() uint64 { return l.epoch.Load() }

// Decided reports whether a first attempt to take the lease was made.
func (l *Leader) Decided() bool { return l.ready.Load() }

// Run keeps trying to take, and refreshing, the lease until ctx ends; then it
// gives the lease back so another process takes over at once.
func (l *Leader) Run(ctx context.Context) error {
	kv, err := streams.EnsureLeases(ctx, l.js, l.ttl, l.replicas)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("aggregator: leader %s: %w", l.name, err)
	}
	key := streams.RoleLeaseKey(l.name)
	t := time.NewTicker(l.ttl / 5)
	defer t.Stop()
	defer func() {
		if l.held.Swap(false) {
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = kv.Delete(dctx, key, jetstream.LastRevision(l.rev))
			cancel()
			l.m.Leader.WithLabelValues(l.name).Set(0)
		}
	}()
	for {
		l.round(ctx, kv, key)
		l.ready.Store(true)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (l *Leader) round(ctx context.Context, kv jetstream.KeyValue, key string) {
	now := time.Now()
	me := []byte(l.instance)
	if l.held.Load() {
		rev, err := kv.Update(ctx, key, me, l.rev)
		switch {
		case err == nil:
			l.rev, l.renewed = rev, now
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) ||
			errors.Is(err, jetstream.ErrKeyNotFound):
			l.lose("lease taken over", err)
		case now.Sub(l.renewed) > l.ttl/2:
			l.lose("lease not refreshed in time", err)
		}
		return
	}
	rev, err := kv.Create(ctx, key, me)
	if err != nil {
		return // held elsewhere (or NATS trouble): next round
	}
	l.rev, l.renewed = rev, now
	l.epoch.Add(1)
	l.held.Store(true)
	l.m.Leader.WithLabelValues(l.name).Set(1)
	l.log.Info("lease gained", "instance", l.instance)
}

func (l *Leader) lose(why string, err error) {
	l.held.Store(false)
	l.m.Leader.WithLabelValues(l.name).Set(0)
	l.log.Warn(why+"; giving it up", "instance", l.instance, "err", err)
}
