package aggregator_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// BenchmarkScorerStatePerUser measures the scorer's heap and checkpoint
// bytes per active user (RANKSTREAM_BENCH_USERS, default 1M users, 4 events
// each over 10 minutes of stream time, on a long sum, a long best_n board by
// market and recurring 1-minute windows, max_event_delay 1m): folded (the
// scorer as it runs, finished windows freed after 2m) against the same
// traffic kept whole (no folding, no freeing) in the same run
// (RANKSTREAM_BENCH_STATE_MODE=folded or whole: that one alone).
//
//	go test ./aggregator -run '^$' -bench ScorerStatePerUser -benchtime 1x -timeout 60m
func BenchmarkScorerStatePerUser(b *testing.B) {
	users := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("RANKSTREAM_BENCH_USERS")); err == nil && n > 0 {
		users = n
	}
	t0 := time.Now().UTC().Truncate(time.Hour)
	rules := contest.NewRegistry(pruneContests(b, t0, time.Minute))
	only := os.Getenv("RANKSTREAM_BENCH_STATE_MODE") // whole or folded: that one alone
	for i := 0; i < b.N; i++ {
		for _, mode := range []struct {
			name string
			opt  aggregator.PruneOptions
		}{
			{"whole", aggregator.PruneOptions{FoldMargin: 1000 * time.Hour}},
			{"folded", aggregator.PruneOptions{FoldMargin: time.Second, FinishedWindows: 2 * time.Minute}},
		} {
			if only != "" && only != mode.name {
				continue
			}
			start := time.Now()
			heap, ckpt := stateBytes(rules, mode.opt, users, t0)
			// At once on stderr too: a run stopped by its time box still
			// reports the modes it finished.
			fmt.Fprintf(os.Stderr, "state-bench: %s %d users in %v: heap %d B/user, checkpoint %d B/user\n",
				mode.name, users, time.Since(start).Round(time.Second), heap/uint64(users), ckpt/uint64(users))
			b.ReportMetric(float64(heap)/float64(users), mode.name+"_heap_B/user")
			b.ReportMetric(float64(ckpt)/float64(users), mode.name+"_ckpt_B/user")
			b.Logf("%s: %d users: heap %.1f MiB (%.0f B/user), checkpoints %.1f MiB (%.0f B/user)", mode.name, users,
				float64(heap)/(1<<20), float64(heap)/float64(users), float64(ckpt)/(1<<20), float64(ckpt)/float64(users))
		}
	}
}

// stateBytes feeds the traffic to one engine (64 partitions) and returns its
// heap in use and the bytes of all its partition checkpoints.
func stateBytes(rules *contest.Registry, opt aggregator.PruneOptions, users int, t0 time.Time) (heap, ckpt uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	eng := aggregator.NewEngine(rules, 0)
	eng.SetPruning(opt)
	const rounds, parts = 4, 64
	span := 10 * time.Minute
	step := span / time.Duration(rounds*users)
	var seq uint64
	for r := 0; r < rounds; r++ {
		for u := 0; u < users; u++ {
			seq++
			at := t0.Add(time.Duration(seq) * step)
			ts := at.Add(-time.Duration(u%20) * time.Second)
			user := "u" + strconv.Itoa(u)
			body := fmt.Sprintf(`{"event_id":"e%d","ts":%q,"type":"round_end","user_id":%q,"market":%q,`+
				`"game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"},"win":{"amount_minor":%d}}`,
				seq, ts.Format(time.RFC3339Nano), user, []string{"DE", "SE", "FI"}[u%3], 10+u%50, (u*7+r*13)%400)
			eng.Apply(aggregator.StoredEvent{Subject: "events." + strconv.Itoa(u%parts) + ".acme." + user,
				Data: []byte(body), Seq: seq, Time: at})
		}
	}
	eng.PruneAll()
	runtime.GC()
	runtime.ReadMemStats(&after)
	for p := 0; p < parts; p++ {
		ckpt += uint64(len(eng.MarshalPartition(nil, p, seq)))
	}
	writeHeapProfile(strconv.FormatInt(opt.FoldMargin.Milliseconds(), 10))
	runtime.KeepAlive(eng)
	if after.HeapInuse > before.HeapInuse {
		heap = after.HeapInuse - before.HeapInuse
	}
	return heap, ckpt
}
