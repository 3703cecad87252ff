package notifier

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// DefaultMaxWatchWrites bounds the watch bucket writes of one sync.
const DefaultMaxWatchWrites = 1000

// watchKV shares the users this process sees watching (its NATS interest
// and its WebSocket subscriptions) in the watch bucket (streams.WatchBucket,
// one key per (contest, user), the value the writer's instance) and keeps a
// view of every process's keys, so the process that pushes knows of players
// connected to any process.
//
// Writes are bounded: a key is written when no live write of it is known or
// the known one is older than TTL/2 (whoever wrote it: two processes seeing
// the same player do not both refresh), at most MaxWrites per sync. A key
// this process wrote last is deleted when its interest ends here; another
// process that still sees the player writes it again as soon as its watcher
// sees the delete. A crashed process's keys expire TTL after their last
// write (the bucket's max age; the view drops them at the same age).
type watchKV struct {
	kv        jetstream.KeyValue
	instance  string
	ttl       time.Duration
	maxWrites int
	log       *slog.Logger
	m         *Metrics
	now       func() time.Time

	mu    sync.Mutex
	known map[string]kvSeen // last write seen of each key, by any process
	local map[string]bool   // keys this process watches (last sync)
	mine  map[string]bool   // keys this process wrote and has not deleted
}

// kvSeen is the last write of a key: by which instance, when.
type kvSeen struct {
	by string
	at time.Time
}

func newWatchKV(kv jetstream.KeyValue, instance string, ttl time.Duration, maxWrites int, log *slog.Logger, m *Metrics, now func() time.Time) *watchKV {
	return &watchKV{kv: kv, instance: instance, ttl: ttl, maxWrites: maxWrites, log: log, m: m, now: now,
		known: map[string]kvSeen{}, local: map[string]bool{}, mine: map[string]bool{}}
}

// watch follows the bucket until ctx ends, restarting the watcher after an
// error.
func (k *watchKV) watch(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := k.kv.WatchAll(ctx)
		if err != nil {
			k.m.WatchKVErrors.WithLabelValues("watch").Inc()
			k.log.Warn("watch bucket: watcher failed", "err", err)
		} else {
			for e := range w.Updates() {
				if e != nil {
					k.apply(ctx, e)
				}
			}
			_ = w.Stop()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// apply records one write; a delete of a key this process still watches is
// written again at once.
func (k *watchKV) apply(ctx context.Context, e jetstream.KeyValueEntry) {
	key := e.Key()
	k.mu.Lock()
	if e.Operation() == jetstream.KeyValuePut {
		k.known[key] = kvSeen{by: string(e.Value()), at: e.Created()}
		k.mu.Unlock()
		return
	}
	delete(k.known, key)
	again := k.local[key]
	k.mu.Unlock()
	if again {
		k.put(ctx, key)
	}
}

// sync makes the bucket hold this process's interest: it writes what is
// missing or due for refresh and deletes what this process wrote last and
// no longer watches.
func (k *watchKV) sync(ctx context.Context, pairs []streams.Interest) {
	puts, dels := k.plan(pairs)
	for _, key := range puts {
		k.put(ctx, key)
	}
	for _, key := range dels {
		if err := k.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			k.m.WatchKVErrors.WithLabelValues("delete").Inc()
			k.log.Warn("watch bucket: delete failed", "key", key, "err", err)
			continue
		}
		k.m.WatchKVWrites.WithLabelValues("delete").Inc()
	}
}

// plan decides the writes of a sync (at most maxWrites puts, the rest wait
// for the next sync).
func (k *watchKV) plan(pairs []streams.Interest) (puts, dels []string) {
	now := k.now()
	want := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		if key, ok := streams.WatchKey(p.Contest, p.User); ok {
			want[key] = true
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.local = want
	for key := range want {
		if s, ok := k.known[key]; ok && now.Sub(s.at) < k.ttl/2 {
			continue
		}
		puts = append(puts, key)
	}
	sort.Strings(puts)
	if len(puts) > k.maxWrites {
		k.m.WatchKVDeferred.Add(float64(len(puts) - k.maxWrites))
		puts = puts[:k.maxWrites]
	}
	for key := range k.mine {
		if want[key] {
			continue
		}
		delete(k.mine, key)
		if s, ok := k.known[key]; ok && s.by == k.instance {
			dels = append(dels, key)
			delete(k.known, key)
		}
	}
	return puts, dels
}

func (k *watchKV) put(ctx context.Context, key string) {
	if _, err := k.kv.Put(ctx, key, []byte(k.instance)); err != nil {
		k.m.WatchKVErrors.WithLabelValues("put").Inc()
		k.log.Warn("watch bucket: put failed", "key", key, "err", err)
		return
	}
	k.m.WatchKVWrites.WithLabelValues("put").Inc()
	k.mu.Lock()
	k.mine[key] = true
	k.known[key] = kvSeen{by: k.instance, at: k.now()}
	k.mu.Unlock()
}

// live is every process's interest: the keys written less than TTL ago
// (older ones have expired from the bucket and are forgotten).
func (k *watchKV) live() []streams.Interest {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]streams.Interest, 0, len(k.known))
	for key, s := range k.known {
		if now.Sub(s.at) >= k.ttl {
			delete(k.known, key)
			continue
		}
		if c, u, ok := streams.ParseWatchKey(key); ok {
			out = append(out, streams.Interest{Contest: c, User: u})
		}
	}
	return out
}
