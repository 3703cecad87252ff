package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// benchMissions are three missions that see nearly every event: four goal
// types, goal scopes, a rate limit, recurring windows.
func benchMissions(t *testing.T, t0 time.Time) []*contest.Mission {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	long := "window: {start: " + f(t0.Add(-96*time.Hour)) + ", end: " + f(t0.Add(time.Hour)) + "}\nmax_event_delay: 200h\n"
	return []*contest.Mission{
		mustMission(t, "b1.yml", "id: b_steps\ntitle: s\n"+long+`anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: s1, goal: {type: spin_count, count: 20, scope: {game_types: [slot]}}, reward: {kind: points, amount: 1}}
  - {id: s2, goal: {type: win_multiplier, min: 5}, reward: {kind: points, amount: 2}}
  - {id: s3, goal: {type: wager_total, amount_minor: 2000}, reward: {kind: points, amount: 3}}
  - {id: s4, goal: {type: distinct_games, count: 3}}
completion_reward: {kind: points, amount: 10}
`),
		mustMission(t, "b2.yml", "id: b_de\ntitle: d\n"+long+`scope: {markets: [DE, SE, FI]}
steps:
  - {id: a, goal: {type: wager_total, amount_minor: 100000}, reward: {kind: cash, amount_minor: 100, currency: EUR}}
`),
		mustMission(t, "b3.yml", `id: b_daily
title: daily
schedule: {cron: "0 */6 * * *", duration: 6h}
lateness: 120h
max_event_delay: 200h
steps:
  - {id: a, goal: {type: spin_count, count: 5}, reward: {kind: points, amount: 1}}
  - {id: b, goal: {type: distinct_games, count: 2, scope: {games: ["g_*"]}}, reward: {kind: points, amount: 1}}
`),
	}
}

// BenchmarkScorerMissions measures, in one run, the scorer's catch-up rate
// over RANKSTREAM_BENCH_EVENTS (default 200k) events of 20k users with four
// contests and no mission, and with the same contests and three missions
// (progress and rewards published as the scorer publishes standings).
// missions_vs_none = rate with missions / rate without (target ≥ 0.8).
// make bench-missions; figures in BENCHMARKS.md "Missions".
func BenchmarkScorerMissions(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_EVENTS", 200_000)
	ctx := context.Background()
	t0 := time.Now().UTC()
	cs, ms, g := missionsBenchFixture(t0)
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir(), Partitions: 64}, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	publishGen(b, st.JS, g, n)
	s, _ := st.JS.Stream(ctx, streams.Events)
	info, _ := s.Info(ctx)
	last := info.State.LastSeq

	run := func(withMissions bool) time.Duration {
		rules := contest.NewRegistry(cs)
		if withMissions {
			rules.SetMissions(ms)
		}
		m := aggregator.NewMetrics(prometheus.NewRegistry())
		sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: 64, Metrics: m,
			CheckpointInterval: -1}, testLogger())
		if err != nil {
			b.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		start := time.Now()
		go func() { defer close(done); _ = sc.Run(sctx) }()
		for !(sc.CaughtUp() && sc.Processed() >= last) {
			time.Sleep(2 * time.Millisecond)
		}
		if err := sc.PublishesAcked(ctx); err != nil { // every publish of the scorer acknowledged
			b.Fatal(err)
		}
		took := time.Since(start)
		cancel()
		<-done
		if withMissions && counterValue(m.Missions.Progress) == 0 {
			b.Fatal("no mission progress published")
		}
		return took
	}
	tn, tw, none, with := compareMissions(b, n, run)
	fmt.Printf("%d events: no mission %v (%.0f/s), three missions %v (%.0f/s), ratio %.2f (runs none %v, missions %v)\n",
		n, tn, float64(n)/tn.Seconds(), tw, float64(n)/tw.Seconds(), tn.Seconds()/tw.Seconds(), none, with)
}

// missionsBenchFixture is what the missions benchmarks score: four of the
// property test's contests, the three bench missions and a generator of 20k
// users.
func missionsBenchFixture(t0 time.Time) ([]*contest.Contest, []*contest.Mission, *gen) {
	t := &testing.T{}
	g := &gen{r: rand.New(rand.NewSource(1)), t0: t0}
	for i := 0; i < 20000; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	return propertyContests(t, t0)[:4], benchMissions(t, t0), g
}

// compareMissions runs run without and with missions, alternated, three
// times each per b.N, and reports the medians over n events as
// none_events/s, missions_events/s and missions_vs_none.
func compareMissions(b *testing.B, n int, run func(withMissions bool) time.Duration) (tn, tw time.Duration, none, with []time.Duration) {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rep := 0; rep < 3; rep++ {
			none = append(none, run(false))
			with = append(with, run(true))
		}
	}
	b.StopTimer()
	tn, tw = medianDur(none), medianDur(with)
	b.ReportMetric(float64(n)/tn.Seconds(), "none_events/s")
	b.ReportMetric(float64(n)/tw.Seconds(), "missions_events/s")
	b.ReportMetric(tn.Seconds()/tw.Seconds(), "missions_vs_none")
	return tn, tw, none, with
}

func medianDur(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
