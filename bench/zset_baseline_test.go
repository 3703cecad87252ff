package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

// zsetBatch is how many events the sorted-set consumer sends per pipeline.
const zsetBatch = 1000

// zsetRate is the second baseline of BenchmarkPipeline: the design most
// leaderboards use. The same messages are published to a bare EVENTS stream
// (same configuration as rankstream's) while one consumer reads them with an
// ordered consumer, decodes each event (event.Parse, the decoder rankstream
// uses), computes the bench contest's points (min(multiplier, 50) × 100,
// capped at 5000) and sends ZINCRBY + ZREVRANK per event in go-redis
// pipelines of up to zsetBatch events. It does none of the windows, daily
// caps, dedup of late duplicates, tie-breaks or SCORES durability that
// rankstream does. The rate is events / (first publish → last pipeline
// answered), measured like the NATS door.
func zsetRate(ctx context.Context, b *testing.B, msgs []msg) float64 {
	defer aggregator.TuneLiveGC(ctx)() // the same GC target as the doors' phases
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 11})
	defer rdb.Close()
	key := fmt.Sprintf("rsbench:zset:%d", time.Now().UnixNano())
	defer rdb.Del(context.Background(), key)

	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- zsetConsume(ctx, st.JS, rdb, key, len(msgs)) }()
	js, _ := jetstream.New(st.NC, jetstream.WithPublishAsyncMaxPending(4000))
	publishAll(ctx, b, js, msgs)
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	if n, err := rdb.ZCard(ctx, key).Result(); err != nil || n == 0 {
		b.Fatalf("sorted set baseline wrote nothing: %d %v", n, err)
	}
	return float64(len(msgs)) / d.Seconds()
}

// zsetConsume reads n events and applies them to the sorted set key.
func zsetConsume(ctx context.Context, js jetstream.JetStream, rdb *redis.Client, key string, n int) error {
	cons, err := js.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2048))
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	defer it.Stop()
	pipe := rdb.Pipeline()
	pending := 0
	for seen := 0; seen < n; {
		m, err := it.Next()
		if err != nil {
			return fmt.Errorf("next: %w", err)
		}
		seen++
		ev, err := event.Parse(m.Data())
		if err != nil {
			continue
		}
		pipe.ZIncrBy(ctx, key, zsetPoints(&ev), ev.UserID)
		pipe.ZRevRank(ctx, key, ev.UserID)
		if pending++; pending >= zsetBatch || seen == n {
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("pipeline: %w", err)
			}
			pending = 0
		}
	}
	if pending > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	return nil
}

// zsetPoints is the bench contest's scoring: min(multiplier, 50) × 100,
// rounded half away from zero, capped at 5000.
func zsetPoints(ev *event.Event) float64 {
	return math.Min(math.Round(math.Min(ev.Multiplier, 50)*100), 5000)
}
