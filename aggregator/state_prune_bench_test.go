package aggregator_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// BenchmarkPruneCall measures one prune of every partition (Engine.PruneAll)
// of an engine holding a user window per user on a long sum board (64
// partitions), all but 1 000 of them idle (folded), while 1 000 users keep
// playing: each call first applies 64 events of the active users, 100 ms of
// stream time later than the call before.
//
//	go test ./aggregator -run '^$' -bench PruneCall -benchtime 50x
func BenchmarkPruneCall(b *testing.B) {
	for _, users := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(users/1000)+"k", func(b *testing.B) {
			t0 := time.Now().UTC().Truncate(time.Hour)
			c, err := contest.Parse("sum.yml", []byte("id: p_sum\ntitle: s\nwindow: {start: "+
				t0.Add(-time.Hour).Format(time.RFC3339)+", end: "+t0.Add(1000*time.Hour).Format(time.RFC3339)+"}\n"+
				"max_event_delay: 1m\nscoring: {model: wager}\nleaderboard: {type: sum}\n"))
			if err != nil {
				b.Fatal(err)
			}
			eng := aggregator.NewEngine(contest.NewRegistry([]*contest.Contest{c}), 0)
			eng.SetPruning(aggregator.PruneOptions{FoldMargin: time.Second, Every: time.Hour})
			var seq uint64
			apply := func(u int, at time.Time) {
				seq++
				user := "u" + strconv.Itoa(u)
				body := roundEnd(seq, user, at, 10, 5)
				eng.Apply(aggregator.StoredEvent{Subject: "events." + strconv.Itoa(u%64) + ".acme." + user,
					Data: body, Seq: seq, Time: at})
			}
			at := t0
			for u := 0; u < users; u++ {
				at = at.Add(50 * time.Microsecond)
				apply(u, at)
			}
			at = at.Add(2 * time.Minute) // every window past max_event_delay
			apply(0, at)
			eng.PruneAll()
			if _, w, cands := eng.StateSize(); w != users || cands > 1 {
				b.Fatalf("%d windows, %d candidates held", w, cands)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				at = at.Add(100 * time.Millisecond)
				for j := 0; j < 64; j++ {
					apply(1+(i*64+j)%1000, at)
				}
				b.StartTimer()
				eng.PruneAll()
			}
		})
	}
}
