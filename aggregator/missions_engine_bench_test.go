package aggregator_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// BenchmarkEngineMissions is BenchmarkScorerMissions without NATS: the same
// events (RANKSTREAM_BENCH_EVENTS, default 200k, 20k users) through the
// Engine alone, with the four contests and no mission, and with the three
// bench missions; three runs of each, alternated, medians. It isolates what
// missions cost in scoring from what publishing their progress costs.
//
//	go test ./aggregator -run '^$' -bench EngineMissions -benchtime 1x -cpuprofile /tmp/cpu.prof
func BenchmarkEngineMissions(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_EVENTS", 200_000)
	t0 := time.Now().UTC()
	t := &testing.T{}
	cs := propertyContests(t, t0)[:4]
	ms := benchMissions(t, t0)
	g := &gen{r: rand.New(rand.NewSource(1)), t0: t0}
	for i := 0; i < 20000; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	evs := make([]aggregator.StoredEvent, n)
	for i := range evs {
		e := g.event()
		evs[i] = aggregator.StoredEvent{Subject: partitioned("events." + e.provider + "." + e.user),
			Data: e.body, Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Microsecond)}
	}
	run := func(withMissions bool) time.Duration {
		rules := contest.NewRegistry(cs)
		if withMissions {
			rules.SetMissions(ms)
		}
		eng := aggregator.NewEngine(rules, 0)
		updates := 0
		start := time.Now()
		for _, se := range evs {
			updates += len(eng.Apply(se).Missions.Updates)
		}
		took := time.Since(start)
		if withMissions && updates == 0 {
			b.Fatal("no mission counted an event")
		}
		return took
	}
	var none, with []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rep := 0; rep < 3; rep++ {
			none = append(none, run(false))
			with = append(with, run(true))
		}
	}
	b.StopTimer()
	tn, tw := medianDur(none), medianDur(with)
	b.ReportMetric(float64(n)/tn.Seconds(), "none_events/s")
	b.ReportMetric(float64(n)/tw.Seconds(), "missions_events/s")
	b.ReportMetric(tn.Seconds()/tw.Seconds(), "missions_vs_none")
	b.Logf("%d events: none %v, missions %v, ratio %.2f (runs none %v, missions %v)", n, tn, tw, tn.Seconds()/tw.Seconds(), none, with)
}
