package readmodel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedisDB is the database the tests of this package use.
const testRedisDB = 14

// testRedis connects to the Redis at 127.0.0.1:6379 (RANKSTREAM_TEST_REDIS
// overrides the address), database 14, and returns a prefix of its own; the
// keys under it are deleted when the test ends.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	addr := os.Getenv("RANKSTREAM_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: testRedisDB})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s: %v (run scripts/services.sh)", addr, err)
	}
	prefix := fmt.Sprintf("rstest:rm:%d:%x:", os.Getpid(), rand.Uint64())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, k := range scanKeys(t, rdb, prefix+"*") {
			rdb.Del(ctx, k)
		}
		rdb.Close()
	})
	return rdb, prefix
}

func scanKeys(t *testing.T, rdb *redis.Client, pattern string) []string {
	t.Helper()
	var out []string
	iter := rdb.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s: %v", pattern, err)
	}
	return out
}
