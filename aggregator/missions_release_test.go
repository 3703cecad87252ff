package aggregator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// TestFreedMissionWindowProgressReleased: a freed mission window's
// MISSION_PROGRESS keys go (asked by several partitions, purged once); the
// next window's and other missions' keys stay.
func TestFreedMissionWindowProgressReleased(t *testing.T) {
	_, _, js := testkit.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv, err := streams.EnsureMissionProgress(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	put := func(mission string, window int64, user string) {
		if _, err := kv.Put(ctx, streams.MissionProgressKey(mission, window, user), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		put("daily", 100, u)
		put("daily", 160, u)
		put("daily_x", 100, u) // a mission whose id extends the other's
	}
	m := newMissionMetrics(nil)
	r := newMissionRelease(js, testkit.Logger(), m)
	go r.run(ctx)
	for range 4 { // four partitions free the same window
		r.freed("daily", 100)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := testkit.CounterValue(m.Released); n != 1 {
			return fmt.Errorf("released %v windows, want 1", n)
		}
		return nil
	})
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for k := range keys.Keys() {
		got[k] = true
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		if got[streams.MissionProgressKey("daily", 100, u)] {
			t.Errorf("%s's progress of the freed window is still there", u)
		}
		for _, k := range []string{streams.MissionProgressKey("daily", 160, u), streams.MissionProgressKey("daily_x", 100, u)} {
			if !got[k] {
				t.Errorf("%s is gone", k)
			}
		}
	}
	if _, err := kv.Get(ctx, streams.MissionProgressKey("daily", 100, "u1")); err != jetstream.ErrKeyNotFound {
		t.Errorf("get of a released key: %v, want not found", err)
	}
}
