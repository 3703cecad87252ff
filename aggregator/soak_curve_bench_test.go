package aggregator_test

import (
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/loadgen"
)

// BenchmarkSoakStateCurve runs the traffic and contests of `make soak-state`
// (scripts/soak-state.sh: loadgen's 20 000 Zipf users, 1 % duplicates, a
// long best_n n=20 window and recurring 1-minute sum windows by market, a
// long and a recurring 1-minute mission (soakMissions), max_event_delay 2m, finished windows freed after 3m) through one engine
// in stream time, faster than real time: every event arrives (its
// JetStream time) exactly when loadgen's clock says it was made, 1000/rate
// apart, so lateness and folding decide as in the live soak. Every
// RANKSTREAM_BENCH_SAMPLE_MIN (5) simulated minutes it logs the checkpoint
// bytes of all 64 partitions, the candidates held (pinned included) and the
// heap in use after a GC; RANKSTREAM_BENCH_SOAK_MINUTES (240) of stream
// time at RANKSTREAM_BENCH_RATE (1000) ev/s.
//
//	go test ./aggregator -run '^$' -bench SoakStateCurve -benchtime 1x -timeout 120m
func BenchmarkSoakStateCurve(b *testing.B) {
	minutes := envInt("RANKSTREAM_BENCH_SOAK_MINUTES", 240)
	rate := envInt("RANKSTREAM_BENCH_RATE", 1000)
	sample := envInt("RANKSTREAM_BENCH_SAMPLE_MIN", 5)
	users := envInt("RANKSTREAM_BENCH_USERS", 20000)
	for i := 0; i < b.N; i++ {
		t0 := time.Now().UTC().Truncate(time.Hour)
		rules := soakRules(b, t0)
		eng := aggregator.NewEngine(rules, 0)
		eng.SetPruning(aggregator.PruneOptions{FinishedWindows: 3 * time.Minute})
		now := t0
		gen := loadgen.NewGenerator(loadgen.Options{Users: users, Seed: 1, Now: func() time.Time { return now }})
		step := time.Second / time.Duration(rate)
		var seq uint64
		fmt.Fprintln(os.Stderr, "soak-curve: minute,checkpoint_bytes,candidates,user_windows,seen_ids,heap_inuse_bytes,mission_windows,mission_candidates")
		for m := 1; m <= minutes; m++ {
			for k := 0; k < 60*rate; k++ {
				now = now.Add(step)
				subj, _, body, _ := gen.Next()
				seq++
				eng.Apply(aggregator.StoredEvent{Subject: partitioned(subj), Data: body, Seq: seq, Time: now})
			}
			if m%sample == 0 {
				logSoakSample(eng, m, seq)
			}
		}
	}
}

// logSoakSample prints one row of the curve (to stderr at once: a long
// run shows its progress).
func logSoakSample(eng *aggregator.Engine, minute int, seq uint64) {
	var ckpt int
	for p := 0; p < 64; p++ {
		ckpt += len(eng.MarshalPartition(nil, p, seq))
	}
	seen, windows, cands := eng.StateSize()
	mwins, mcands := eng.MissionStateSize()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "soak-curve: %d,%d,%d,%d,%d,%d,%d,%d\n", minute, ckpt, cands, windows, seen, ms.HeapInuse, mwins, mcands)
}

// partitioned turns events.<provider>.<user> into events.<p>.<provider>.<user>
// as the EVENTS stream's subject transform does (64 partitions; the hash
// differs from JetStream's, which does not matter for what is measured).
func partitioned(subj string) string {
	user := subj[strings.LastIndexByte(subj, '.')+1:]
	h := fnv.New32a()
	_, _ = h.Write([]byte(user))
	return "events." + strconv.Itoa(int(h.Sum32()%64)) + subj[len("events"):]
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// soakMissions are the missions of scripts/soak-state.sh: a long window
// (rate limited, four steps, the later ones out of reach so that every
// user's state stays live) and recurring 1-minute windows.
func soakMissions(b *testing.B, t0 time.Time) []*contest.Mission {
	long := fmt.Sprintf(`id: soak_mission
title: Soak mission, long window
window: {start: %s, end: %s}
max_event_delay: 2m
anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: spins, goal: {type: spin_count, count: 50}, reward: {kind: points, amount: 10}}
  - {id: games, goal: {type: distinct_games, count: 5}}
  - {id: wager, goal: {type: wager_total, amount_minor: 100000000}}
  - {id: big, goal: {type: win_multiplier, min: 100000}}
`, t0.Add(-time.Hour).Format(time.RFC3339), t0.Add(5*365*24*time.Hour).Format(time.RFC3339))
	minute := `id: soak_mission_minute
title: Soak mission every minute
schedule: {cron: "* * * * *", duration: 1m}
lateness: 10s
max_event_delay: 2m
steps:
  - {id: spins, goal: {type: spin_count, count: 5}}
  - {id: games, goal: {type: distinct_games, count: 3}}
`
	var out []*contest.Mission
	for _, y := range []string{long, minute} {
		m, err := contest.ParseMission("soak.yml", []byte(y))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// soakRules are the contests and missions of scripts/soak-state.sh
// (RANKSTREAM_BENCH_MISSIONS=0: the contests alone).
func soakRules(b *testing.B, t0 time.Time) *contest.Registry {
	rules := contest.NewRegistry(soakContests(b, t0))
	if os.Getenv("RANKSTREAM_BENCH_MISSIONS") != "0" {
		rules.SetMissions(soakMissions(b, t0))
	}
	return rules
}

// soakContests are the contests of scripts/soak-state.sh.
func soakContests(b *testing.B, t0 time.Time) []*contest.Contest {
	long := fmt.Sprintf(`id: soak_long
title: Soak long window
window: {start: %s, end: %s}
max_event_delay: 2m
scoring: {formula: "min(multiplier, 50) * 100", cap_per_user_per_day: 100000}
leaderboard: {type: best_n, n: 20, tiebreakers: [highest_single_multiplier, fewest_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 2}
`, t0.Add(-time.Hour).Format(time.RFC3339), t0.Add(5*365*24*time.Hour).Format(time.RFC3339))
	minute := `id: soak_minute
title: Soak every minute
schedule: {cron: "* * * * *", duration: 1m}
lateness: 10s
max_event_delay: 2m
scoring: {model: wager}
leaderboard: {type: sum, divisions: market}
`
	var out []*contest.Contest
	for _, y := range []string{long, minute} {
		c, err := contest.Parse("soak.yml", []byte(y))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
