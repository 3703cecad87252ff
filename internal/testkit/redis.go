package testkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisDB is the Redis database every test uses; tests keep apart by key
// prefix (Redis), never by flushing.
const RedisDB = 14

// RedisAddr is the address of the test Redis: RANKSTREAM_TEST_REDIS, or
// 127.0.0.1:6379 (scripts/services.sh starts one).
func RedisAddr() string {
	if a := os.Getenv("RANKSTREAM_TEST_REDIS"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// RedisURL is the URL of the test database, for code that takes a URL.
func RedisURL() string { return fmt.Sprintf("redis://%s/%d", RedisAddr(), RedisDB) }

// Redis connects to the test database and returns a key prefix of its own,
// "rstest:<name>:<pid>:<random>:". When the test ends the keys under the
// prefix are deleted and the client is closed.
func Redis(t testing.TB, name string) (*redis.Client, string) {
	t.Helper()
	rdb := redisClient(t)
	prefix := RedisPrefix(t, name)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, prefix
}

// RedisPrefix returns a fresh key prefix for name, for tests that hand
// RedisURL to the code under test; its keys are deleted when the test ends.
func RedisPrefix(t testing.TB, name string) string {
	t.Helper()
	prefix := fmt.Sprintf("rstest:%s:%d:%x:", name, os.Getpid(), rand.Uint64())
	t.Cleanup(func() {
		rdb := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: RedisDB})
		defer rdb.Close()
		if err := DeleteKeys(context.Background(), rdb, prefix+"*"); err != nil {
			t.Logf("testkit: redis cleanup of %s: %v", prefix, err)
		}
	})
	return prefix
}

// RedisKeys is the keys matching pattern (SCAN), sorted as Redis gives them.
func RedisKeys(t testing.TB, rdb *redis.Client, pattern string) []string {
	t.Helper()
	var out []string
	iter := rdb.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("testkit: scan %s: %v", pattern, err)
	}
	return out
}

// DeleteKeys deletes the keys matching pattern.
func DeleteKeys(ctx context.Context, rdb *redis.Client, pattern string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return fmt.Errorf("del %s: %w", iter.Val(), err)
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", pattern, err)
	}
	return nil
}

func redisClient(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: RedisDB})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("testkit: redis at %s: %v (scripts/services.sh starts it)", RedisAddr(), err)
	}
	return rdb
}
