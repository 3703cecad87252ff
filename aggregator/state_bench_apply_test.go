package aggregator_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// BenchmarkEngineStateApply measures the CPU and the allocations of one
// Engine.Apply on the prune contests (a long sum board with daily cap and
// rate limit, a long best_n board by market, a long max board, recurring
// 1-minute windows; max_event_delay 1m), with the scorer's pruning. "live":
// 2 000 users, each back within a second of stream time, so their windows
// hold candidates; "idle": 50 000 users, each back after 75 seconds of
// stream time, so most events find the user's windows folded (idle) first.
// Compare before/after with benchstat:
//
//	go test ./aggregator -run '^$' -bench EngineStateApply -benchmem -count 6 | benchstat -
func BenchmarkEngineStateApply(b *testing.B) {
	for _, mode := range []struct {
		name  string
		users int
		step  time.Duration // stream time between two arrivals
	}{
		{"live", 2_000, 500 * time.Microsecond},
		{"idle", 50_000, 1500 * time.Microsecond},
	} {
		b.Run(mode.name, func(b *testing.B) {
			t0 := time.Now().UTC().Truncate(time.Hour)
			eng := aggregator.NewEngine(contest.NewRegistry(pruneContests(b, t0, time.Minute)), 0)
			eng.SetPruning(aggregator.PruneOptions{FoldMargin: time.Second, FinishedWindows: 2 * time.Minute})
			// Warm up: every user once, so that "idle" users are known.
			warm := applyEvents(mode.users, mode.users, mode.step, t0)
			for i := range warm {
				eng.Apply(warm[i])
			}
			evs := applyEvents(b.N, mode.users, mode.step, t0.Add(time.Duration(mode.users+1)*mode.step))
			for i := range evs {
				evs[i].Seq += uint64(mode.users)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range evs {
				eng.Apply(evs[i])
			}
		})
	}
}

// applyEvents makes n events of users round robin, step apart in stream
// time from t0, each with a ts up to 3s before its arrival.
func applyEvents(n, users int, step time.Duration, t0 time.Time) []aggregator.StoredEvent {
	evs := make([]aggregator.StoredEvent, n)
	markets := []string{"DE", "SE", "FI"}
	for i := range evs {
		u := i % users
		at := t0.Add(time.Duration(i) * step)
		user := "u" + strconv.Itoa(u)
		body := make([]byte, 0, 256)
		body = append(body, `{"event_id":"e`...)
		body = strconv.AppendInt(body, t0.UnixNano()/1e6+int64(i), 10)
		body = append(body, `","ts":"`...)
		body = at.Add(-time.Duration(i%3000)*time.Millisecond).AppendFormat(body, time.RFC3339Nano)
		body = append(body, `","type":"round_end","user_id":"`...)
		body = append(body, user...)
		body = append(body, `","market":"`...)
		body = append(body, markets[u%3]...)
		body = append(body, `","game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":`...)
		body = strconv.AppendInt(body, int64(10+(i*7)%50), 10)
		body = append(body, `,"currency":"EUR"},"win":{"amount_minor":`...)
		body = strconv.AppendInt(body, int64((u*7+i*13)%400), 10)
		body = append(body, "}}"...)
		evs[i] = aggregator.StoredEvent{Subject: "events." + strconv.Itoa(u%64) + ".acme." + user,
			Data: body, Seq: uint64(i + 1), Time: at}
	}
	return evs
}
