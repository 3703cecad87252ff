package aggregator_test

import (
	"context"
	"sync"
	"testing"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/aggregator/sinktest"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// The live-rank feed passes the shared sink suite, read back the way the
// notifiers read it: a RanksFollower on the RANKS stream of a real
// embedded server.
func TestRanksFeedSinkContract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) (aggregator.Sink, sinktest.Observe) {
		ctx, cancel := context.WithCancel(context.Background())
		st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 2}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		f, err := aggregator.NewRanksFollower(ctx, st.JS, 1, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		tops := map[contest.BoardID][]aggregator.Rank{}
		done := make(chan error, 1)
		go func() {
			done <- f.Run(ctx, func(ds []aggregator.BoardDelta) {
				mu.Lock()
				defer mu.Unlock()
				for _, d := range ds {
					tops[d.ID] = d.Top
				}
			})
		}()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("follower: %v", err)
			}
			st.Close()
		})
		return aggregator.NewRanksFeed(st.JS, 4), func(_ context.Context, id contest.BoardID) ([]aggregator.Rank, error) {
			mu.Lock()
			defer mu.Unlock()
			return tops[id], nil
		}
	})
}
