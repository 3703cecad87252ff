package aggregator_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// BenchmarkScorerStatePerBoard measures the scorer's heap and checkpoint
// bytes per (user, board) for one long sum board (daily cap and rate limit)
// and one long max board, each alone in an engine (64 partitions), with
// RANKSTREAM_BENCH_USERS users (default 1M) of 3 events each. Stream time
// then moves past max_event_delay (1m), so every candidate and seen id is
// folded away: what is left is the fixed cost of a user on a board, the
// state of an idle active user in a long window.
//
//	go test ./aggregator -run '^$' -bench ScorerStatePerBoard -benchtime 1x -timeout 60m
func BenchmarkScorerStatePerBoard(b *testing.B) {
	users := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("RANKSTREAM_BENCH_USERS")); err == nil && n > 0 {
		users = n
	}
	t0 := time.Now().UTC().Truncate(time.Hour)
	long := fmt.Sprintf("window: {start: %s, end: %s}\nmax_event_delay: 1m\n",
		t0.Add(-time.Hour).Format(time.RFC3339), t0.Add(1000*time.Hour).Format(time.RFC3339))
	boards := []struct{ name, yml string }{
		{"sum", "id: b_sum\ntitle: s\n" + long + "scoring: {formula: \"bet - 3\", cap_per_user_per_day: 300}\n" +
			"leaderboard: {type: sum}\nanti_abuse: {max_events_per_user_per_sec: 2}\n"},
		{"max", "id: b_max\ntitle: m\n" + long + "scoring: {model: multiplier_log}\nleaderboard: {type: max}\n"},
	}
	for i := 0; i < b.N; i++ {
		for _, bd := range boards {
			c, err := contest.Parse(bd.name+".yml", []byte(bd.yml))
			if err != nil {
				b.Fatal(err)
			}
			heap, ckpt, windows := boardStateBytes(contest.NewRegistry([]*contest.Contest{c}), users, t0)
			if windows != users {
				b.Fatalf("%s: %d user windows held, want %d", bd.name, windows, users)
			}
			b.ReportMetric(float64(heap)/float64(users), bd.name+"_heap_B/user_board")
			b.ReportMetric(float64(ckpt)/float64(users), bd.name+"_ckpt_B/user_board")
			b.Logf("%s: %d users: heap %.1f MiB (%.0f B per user and board), checkpoints %.1f MiB (%.0f B)", bd.name, users,
				float64(heap)/(1<<20), float64(heap)/float64(users), float64(ckpt)/(1<<20), float64(ckpt)/float64(users))
		}
	}
}

// boardStateBytes feeds 3 events per user to one engine, moves stream time
// 10 minutes on, prunes, and returns its heap in use, the bytes of all its
// partition checkpoints and the user windows it holds.
func boardStateBytes(rules *contest.Registry, users int, t0 time.Time) (heap, ckpt uint64, windows int) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	eng := aggregator.NewEngine(rules, 0)
	eng.SetPruning(aggregator.PruneOptions{FoldMargin: time.Second})
	const rounds, parts = 3, 64
	step := 2 * time.Minute / time.Duration(rounds*users)
	var seq uint64
	apply := func(u int, at time.Time) {
		seq++
		user := "u" + strconv.Itoa(u)
		body := roundEnd(seq, user, at.Add(-time.Duration(u%20)*time.Second), int64(10+u%50), int64((u*7+int(seq)*13)%400))
		eng.Apply(aggregator.StoredEvent{Subject: "events." + strconv.Itoa(u%parts) + ".acme." + user,
			Data: body, Seq: seq, Time: at})
	}
	for r := 0; r < rounds; r++ {
		for u := 0; u < users; u++ {
			apply(u, t0.Add(time.Duration(seq+1)*step))
		}
	}
	apply(0, t0.Add(10*time.Minute)) // stream time past max_event_delay
	eng.PruneAll()
	runtime.GC()
	runtime.ReadMemStats(&after)
	for p := 0; p < parts; p++ {
		ckpt += uint64(len(eng.MarshalPartition(nil, p, seq)))
	}
	seen, windows, cands := eng.StateSize()
	if seen > 1 || cands > 1 {
		panic(fmt.Sprintf("state not folded: %d seen ids, %d candidates", seen, cands))
	}
	writeHeapProfile(rules.All()[0].ID)
	runtime.KeepAlive(eng)
	if after.HeapInuse > before.HeapInuse {
		heap = after.HeapInuse - before.HeapInuse
	}
	return heap, ckpt, windows
}

// roundEnd is the body of a round_end event of user at ts (event id e<seq>).
func roundEnd(seq uint64, user string, ts time.Time, bet, win int64) []byte {
	body := make([]byte, 0, 256)
	body = append(body, `{"event_id":"e`...)
	body = strconv.AppendUint(body, seq, 10)
	body = append(body, `","ts":"`...)
	body = ts.AppendFormat(body, time.RFC3339Nano)
	body = append(body, `","type":"round_end","user_id":"`...)
	body = append(body, user...)
	body = append(body, `","game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":`...)
	body = strconv.AppendInt(body, bet, 10)
	body = append(body, `,"currency":"EUR"},"win":{"amount_minor":`...)
	body = strconv.AppendInt(body, win, 10)
	return append(body, "}}"...)
}

// writeHeapProfile writes a heap profile to $RANKSTREAM_BENCH_HEAPPROF.name
// when that is set (kept out of git).
func writeHeapProfile(name string) {
	f := os.Getenv("RANKSTREAM_BENCH_HEAPPROF")
	if f == "" {
		return
	}
	if w, err := os.Create(f + "." + name); err == nil {
		_ = pprof.WriteHeapProfile(w)
		_ = w.Close()
	}
}
