package aggregator_test

import (
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
	cs, ms, g := missionsBenchFixture(t0)
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
	tn, tw, none, with := compareMissions(b, n, run)
	b.Logf("%d events: none %v, missions %v, ratio %.2f (runs none %v, missions %v)", n, tn, tw, tn.Seconds()/tw.Seconds(), none, with)
}
