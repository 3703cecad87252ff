package readmodel

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// A board written with ExpireAt has every key of its own expiring then;
// Release drops the window's boards and its index entries, and leaves the
// contest's other windows alone.
func TestExpireAndRelease(t *testing.T) {
	ctx := context.Background()
	w, r, _ := newWriter(t)
	rdb, prefix := w.rdb.(*redis.Client), w.prefix
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	meta := BoardMeta{NWords: 2, Order: OrderDesc, ExpireAt: at}
	var changes []BoardChange
	for _, id := range []contest.BoardID{{Contest: "c", Window: 100, Division: "DE"}, {Contest: "c", Window: 100, Division: "SE"}, {Contest: "c", Window: 200, Division: "DE"}} {
		changes = append(changes, BoardChange{ID: id, Meta: meta, Upserts: []Upsert{{User: "a", Key: []int64{-10, 0}}}})
	}
	if err := w.Apply(ctx, changes); err != nil {
		t.Fatal(err)
	}
	for _, key := range testkit.RedisKeys(t, rdb, prefix+"b:*") {
		exp, err := rdb.ExpireTime(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(int64(exp/time.Second), 0); !got.Equal(at) {
			t.Errorf("key %s expires at %s, want %s", key, got, at)
		}
	}
	if err := w.Release(ctx, "c", 100, []string{"DE", "SE"}); err != nil {
		t.Fatal(err)
	}
	if keys := testkit.RedisKeys(t, rdb, prefix+"b:c:100:*"); len(keys) != 0 {
		t.Errorf("released window keeps keys %v", keys)
	}
	wins, err := r.Windows(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(wins) != 1 || wins[0] != 200 {
		t.Errorf("windows after release %v, want [200]", wins)
	}
	checkBoard(t, r, contest.BoardID{Contest: "c", Window: 200, Division: "DE"}, []Row{{1, "a", 10}})
}
