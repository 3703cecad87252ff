package aggregator_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
)

// BenchmarkEngineApplyReplay measures one Engine.Apply as replay runs it
// (StateOnly) on the contests of replay's BenchmarkReplayVsRead: a sum
// board with a daily cap on the wager model, and a best_n board by market
// on a formula; 20 000 users, events 10 ms apart in ts. Compare with
// benchstat:
//
//	go test ./aggregator -run '^$' -bench EngineApplyReplay -benchmem -count 5
func BenchmarkEngineApplyReplay(b *testing.B) {
	now := time.Now().UTC()
	cs := apptest.BenchContests(b, now)
	const users, ring = 20_000, 200_000
	evs := make([]aggregator.StoredEvent, ring)
	for i := range evs {
		user := "u_" + strconv.Itoa(i%users)
		ts := now.Add(-time.Hour).Add(time.Duration(i) * 10 * time.Millisecond)
		evs[i] = aggregator.StoredEvent{Subject: "events." + strconv.Itoa(i%64) + ".acme." + user,
			Data: apptest.Event("e"+strconv.Itoa(i), user, "acme", ts, int64(10+i%90), int64(i%17*7), []string{"DE", "SE", "FI"}[i%3]),
			Seq:  uint64(i + 1), Time: now}
	}
	eng := aggregator.NewEngine(contest.NewRegistry(cs), 0)
	eng.StateOnly(true)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == ring { // later laps are duplicates: start again on a new engine
			b.StopTimer()
			eng, i = aggregator.NewEngine(contest.NewRegistry(cs), 0), 0
			eng.StateOnly(true)
			b.StartTimer()
		}
		eng.Apply(evs[i])
		i++
	}
}
