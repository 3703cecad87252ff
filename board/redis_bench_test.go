package board

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis side of the benchmarks: the same users, scores and updates through
// go-redis pipelines against a sorted set, for comparison with the board.

const (
	redisDB        = 15
	redisKeyPrefix = "rsbench:"
	// redisBatch is the number of commands per pipeline.
	redisBatch = 1000
	// redisLoadChunk is the number of members per ZADD while loading.
	redisLoadChunk = 1000
)

// redisAddr returns the Redis to benchmark: RANKSTREAM_BENCH_REDIS or
// 127.0.0.1:6379.
func redisAddr() string {
	if a := os.Getenv("RANKSTREAM_BENCH_REDIS"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// redisClient connects to the benchmark Redis, or skips b when it is not
// reachable.
func redisClient(b *testing.B) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), DB: redisDB, ReadTimeout: time.Minute, WriteTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		b.Skipf("Redis at %s not reachable: %v", redisAddr(), err)
	}
	return c
}

// loadedSet is a sorted set loaded with a fixture, with what it costs Redis.
type loadedSet struct {
	f   *fixture
	key string
	// usedBytes is the growth of INFO used_memory while loading.
	usedBytes int64
	// usageBytes is MEMORY USAGE of the key.
	usageBytes int64
	loadTime   time.Duration
	// next is the number of updates applied so far.
	next int
}

// usedMemory returns INFO memory used_memory.
func usedMemory(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("info memory: %w", err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse used_memory %q: %w", v, err)
			}
			return n, nil
		}
	}
	return 0, errors.New("info memory: no used_memory line")
}

// loadRedis puts every user of f into the sorted set key with its score,
// measuring Redis's memory before and after.
func loadRedis(ctx context.Context, c *redis.Client, key string, f *fixture) (*loadedSet, error) {
	if err := c.Del(ctx, key).Err(); err != nil {
		return nil, fmt.Errorf("del %s: %w", key, err)
	}
	before, err := usedMemory(ctx, c)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	members := make([]redis.Z, 0, redisLoadChunk)
	pipe := c.Pipeline()
	for i, u := range f.users {
		members = append(members, redis.Z{Score: float64(f.scores[i]), Member: u})
		if len(members) == redisLoadChunk || i == len(f.users)-1 {
			pipe.ZAdd(ctx, key, members...)
			members = make([]redis.Z, 0, redisLoadChunk)
		}
		if pipe.Len() == 100 || i == len(f.users)-1 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, fmt.Errorf("load %s: %w", key, err)
			}
		}
	}
	took := time.Since(start)
	after, err := usedMemory(ctx, c)
	if err != nil {
		return nil, err
	}
	usage, err := c.MemoryUsage(ctx, key, 0).Result()
	if err != nil {
		return nil, fmt.Errorf("memory usage %s: %w", key, err)
	}
	card, err := c.ZCard(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("zcard %s: %w", key, err)
	}
	if card != int64(len(f.users)) {
		return nil, fmt.Errorf("loaded %d members into %s, want %d", card, key, len(f.users))
	}
	return &loadedSet{f: f, key: key, usedBytes: after - before, usageBytes: usage, loadTime: took}, nil
}

// report adds Redis's memory figures to b's output.
func (s *loadedSet) report(b *testing.B) {
	n := float64(len(s.f.users))
	b.ReportMetric(float64(s.usedBytes)/n, "usedB/member")
	b.ReportMetric(float64(s.usageBytes)/n, "usageB/member")
	b.ReportMetric(float64(s.loadTime.Nanoseconds())/n, "load-ns/member")
}

// redisBench runs a Redis benchmark per size: it loads the set once per size,
// calls run for each b.N and deletes the set at the end.
func redisBench(b *testing.B, name string, run func(b *testing.B, ctx context.Context, c *redis.Client, s *loadedSet) error) {
	c := redisClient(b)
	defer c.Close()
	ctx := context.Background()
	for _, n := range benchSizes() {
		key := redisKeyPrefix + name + ":" + strconv.Itoa(n)
		var set *loadedSet
		b.Run(sizeName(n), func(b *testing.B) {
			if set == nil {
				s, err := loadRedis(ctx, c, key, newFixture(n))
				if err != nil {
					b.Fatal(err)
				}
				set = s
			}
			b.ResetTimer()
			if err := run(b, ctx, c, set); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			set.report(b)
		})
		if err := c.Del(ctx, key).Err(); err != nil {
			b.Errorf("del %s: %v", key, err)
		}
	}
}

// BenchmarkRedisZAdd measures ZADD of score increases of random users (the
// same stream as BenchmarkUpsert), redisBatch commands per pipeline.
func BenchmarkRedisZAdd(b *testing.B) {
	redisBench(b, "zadd", func(b *testing.B, ctx context.Context, c *redis.Client, s *loadedSet) error {
		pipe := c.Pipeline()
		defer func() { s.next += b.N }()
		for i := range b.N {
			u, score := s.f.op(s.next + i)
			pipe.ZAdd(ctx, s.key, redis.Z{Score: float64(score), Member: u})
			if pipe.Len() == redisBatch || i == b.N-1 {
				if _, err := pipe.Exec(ctx); err != nil {
					return fmt.Errorf("zadd pipeline: %w", err)
				}
			}
		}
		return nil
	})
}

// BenchmarkRedisZRevRank measures ZREVRANK of random users (the same
// lookups as BenchmarkRank), redisBatch commands per pipeline.
func BenchmarkRedisZRevRank(b *testing.B) {
	redisBench(b, "zrevrank", func(b *testing.B, ctx context.Context, c *redis.Client, s *loadedSet) error {
		pipe := c.Pipeline()
		for i := range b.N {
			pipe.ZRevRank(ctx, s.key, s.f.lookupIDs[i&(benchOps-1)])
			if pipe.Len() == redisBatch || i == b.N-1 {
				cmds, err := pipe.Exec(ctx)
				if err != nil {
					return fmt.Errorf("zrevrank pipeline: %w", err)
				}
				if len(cmds) == 0 {
					return errors.New("zrevrank pipeline ran no command")
				}
			}
		}
		return nil
	})
}
