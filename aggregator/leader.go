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

// Leader holds a role lease (a Lease on a key of the RANKSTREAM_LEASES
// bucket, see lease.go). Every process ranks every board from SCORES, but
// only the holder of the "ranker" lease writes the Redis read model, pushes
// live ranks and writes snapshots, so those have one writer however many
// processes run the aggregator. Epoch grows every time the lease is gained:
// a new holder writes full boards, not diffs.
type Leader struct {
	js       jetstream.JetStream
	name     string
	instance string
	ttl      time.Duration
	replicas int
	log      *slog.Logger
	m        *Metrics

	held  atomic.Bool
	epoch atomic.Uint64
	ready atomic.Bool // one round done: Held is meaningful
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
	lease := NewLease(kv, streams.RoleLeaseKey(l.name), l.ttl)
	t := time.NewTicker(l.ttl / 5)
	defer t.Stop()
	defer func() {
		if l.held.Swap(false) {
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = lease.Release(dctx)
			cancel()
			l.m.Leader.WithLabelValues(l.name).Set(0)
		}
	}()
	for {
		l.round(ctx, lease)
		l.ready.Store(true)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (l *Leader) round(ctx context.Context, lease *Lease) {
	me := []byte(l.instance)
	if l.held.Load() {
		if err := lease.Refresh(ctx, me); errors.Is(err, ErrLeaseLost) {
			l.lose(err)
		}
		return
	}
	if !lease.Take(ctx, me) {
		return // held elsewhere (or NATS trouble): next round
	}
	l.epoch.Add(1)
	l.held.Store(true)
	l.m.Leader.WithLabelValues(l.name).Set(1)
	l.log.Info("lease gained", "instance", l.instance)
}

func (l *Leader) lose(err error) {
	l.held.Store(false)
	l.m.Leader.WithLabelValues(l.name).Set(0)
	l.log.Warn("lease lost; giving it up", "instance", l.instance, "err", err)
}
