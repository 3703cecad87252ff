package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// BenchmarkCrashRecovery measures, in one run: the catch-up rate of a
// restarted scorer with RANKSTREAM_BENCH_EVENTS (default 1M) events after its
// last checkpoint, against a plain ordered-consumer read of the same events.
// make bench-recovery; figures go to BENCHMARKS.md "Crash recovery".
func BenchmarkCrashRecovery(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("RANKSTREAM_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	t0 := time.Now().UTC()
	t := &testing.T{}
	cs := propertyContests(t, t0)[:4]
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir(), Partitions: 64}, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rules := contest.NewRegistry(cs)
	g := &gen{r: rand.New(rand.NewSource(1)), t0: t0}
	for i := 0; i < 20000; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	publish := func(count int) {
		for i := 0; i < count; i++ {
			e := g.event()
			if _, err := st.JS.PublishAsync("events."+e.provider+"."+e.user, e.body, jetstream.WithMsgID(e.id)); err != nil {
				b.Fatal(err)
			}
			if i%2000 == 1999 {
				<-st.JS.PublishAsyncComplete()
			}
		}
		<-st.JS.PublishAsyncComplete()
	}
	lastSeq := func() uint64 {
		s, _ := st.JS.Stream(ctx, streams.Events)
		info, err := s.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return info.State.LastSeq
	}
	var applied time.Duration // of the last run: until every event was applied
	run := func(opts aggregator.ScorerOptions, untilCheckpoint bool) time.Duration {
		opts.JS, opts.Rules, opts.Partitions = st.JS, rules, 64
		sc, err := aggregator.NewScorer(opts, testLogger())
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- sc.Run(rctx) }()
		applied = 0
		for !sc.CaughtUp() {
			if applied == 0 && sc.Processed() >= lastSeq() {
				applied = time.Since(start)
			}
			time.Sleep(2 * time.Millisecond)
		}
		took := time.Since(start)
		if applied == 0 {
			applied = took
		}
		if untilCheckpoint {
			time.Sleep(3 * opts.CheckpointInterval) // let a round be written
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		return took
	}

	// A first life: 50k events, caught up, checkpointed. Then 1M more events
	// arrive while the scorer is down.
	publish(50_000)
	base := lastSeq()
	ck := aggregator.ScorerOptions{CheckpointInterval: 500 * time.Millisecond}
	run(ck, true)
	publish(n)
	last := lastSeq()
	since := last - base

	// Plain read of the same events (after the checkpoint) with an ordered consumer.
	readStart := time.Now()
	cons, err := st.JS.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: base + 1})
	if err != nil {
		b.Fatal(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2048))
	if err != nil {
		b.Fatal(err)
	}
	for {
		m, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		meta, _ := m.Metadata()
		if meta.Sequence.Stream >= last {
			break
		}
	}
	it.Stop()
	plain := time.Since(readStart)

	single := run(ck, false)
	singleApplied := applied
	shared := run(aggregator.ScorerOptions{CheckpointInterval: time.Hour, Instance: "bench"}, false)
	b.Logf("single consumer: every event applied after %s, caught up (all standings republished) after %s", singleApplied.Round(time.Millisecond), single.Round(time.Millisecond))
	rate := func(d time.Duration) float64 { return float64(since) / d.Seconds() }
	b.ReportMetric(rate(plain), "plain_ev/s")
	b.ReportMetric(rate(single), "catchup_ev/s")
	b.ReportMetric(rate(single)/rate(plain), "catchup/plain")
	b.ReportMetric(rate(shared)/rate(plain), "shared_catchup/plain")
	b.Logf("%d events after the checkpoint: plain ordered read %s (%.0f ev/s); restart catch-up single consumer %s (%.0f ev/s, %.0f%%); per-partition consumers %s (%.0f ev/s, %.0f%%)",
		since, plain.Round(time.Millisecond), rate(plain), single.Round(time.Millisecond), rate(single), 100*rate(single)/rate(plain),
		shared.Round(time.Millisecond), rate(shared), 100*rate(shared)/rate(plain))
}
