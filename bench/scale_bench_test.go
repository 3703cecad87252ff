package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// BenchmarkScorerProcesses checks the capacity model's per-core scorer
// figure (docs/scale.md): the same events (RANKSTREAM_BENCH_EVENTS, default
// 200k, loadgen's 20k Zipf users, the pipeline's bench contest) are scored
// by 1, 2 and 4 scorers in shared mode (each with its own NATS connection,
// as separate processes would be; 64 partitions split evenly by leases),
// each on a fresh embedded server holding the same EVENTS. Timed from the
// scorers' start until every partition is owned and caught up with every
// standing published to SCORES. On a machine with more cores than scorers the
// rate should grow with the count; here two cores are shared with the
// server (and other engineers' jobs), which is where it stops.
func BenchmarkScorerProcesses(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_EVENTS", 200000)
	msgs := genMsgs(n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for i := 0; i < b.N; i++ {
		for _, k := range []int{1, 2, 4} {
			r := scorersRate(ctx, b, msgs, k)
			rate := float64(len(msgs)) / r.took.Seconds()
			cpu := float64(r.cpu.Microseconds()) / float64(len(msgs))
			b.ReportMetric(rate, fmt.Sprintf("scorers%d_ev/s", k))
			b.ReportMetric(cpu, fmt.Sprintf("scorers%d_cpu_us/ev", k))
			fmt.Printf("%d scorers: %.0f ev/s, cpu %.1f µs/event (%.2f cores busy), all partitions owned after %s (%s)\n",
				k, rate, cpu, r.cpu.Seconds()/r.took.Seconds(), r.owned.Round(time.Millisecond), time.Now().UTC().Format("15:04:05"))
		}
	}
}

// scorersRun is one scorersRate measurement: the wall time until every
// partition was caught up, the process CPU spent meanwhile (the embedded
// server's included), and when every partition was first owned.
type scorersRun struct{ took, cpu, owned time.Duration }

// scorersRate publishes msgs to a fresh server and times k shared-mode scorers.
func scorersRate(ctx context.Context, b *testing.B, msgs []msg, k int) scorersRun {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir(), Partitions: 64}, quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	js, _ := jetstream.New(st.NC, jetstream.WithPublishAsyncMaxPending(4000))
	publishAll(ctx, b, js, msgs)
	// Every member known before the first lease round: each takes 64/k.
	kv, err := streams.EnsureLeases(ctx, st.JS, 5*time.Second, 1)
	if err != nil {
		b.Fatal(err)
	}
	for j := 0; j < k; j++ {
		if _, err := kv.Put(ctx, streams.MemberKey(fmt.Sprintf("p%d", j)), []byte("bench")); err != nil {
			b.Fatal(err)
		}
	}
	rules := contest.NewRegistry(benchContests(b))
	scs := make([]*aggregator.Scorer, k)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, k)
	start, cpu0 := time.Now(), cpuTime()
	for j := range scs {
		nc, err := nats.Connect(st.URL())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		pjs, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4000))
		scs[j], err = aggregator.NewScorer(aggregator.ScorerOptions{JS: pjs, Rules: rules, Partitions: 64,
			Instance: fmt.Sprintf("p%d", j), CheckpointInterval: time.Hour}, quiet)
		if err != nil {
			b.Fatal(err)
		}
		go func(s *aggregator.Scorer) { done <- s.Run(rctx) }(scs[j])
	}
	var r scorersRun
	for !allCaughtUp(scs) {
		if ctx.Err() != nil {
			b.Fatal("scorers did not catch up")
		}
		if r.owned == 0 && ownedCount(scs) == 64 {
			r.owned = time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.took, r.cpu = time.Since(start), cpuTime()-cpu0
	if r.owned == 0 {
		r.owned = r.took
	}
	stop()
	for range scs {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// allCaughtUp: every partition owned, every scorer caught up on its own.
func allCaughtUp(scs []*aggregator.Scorer) bool {
	for _, s := range scs {
		if !s.CaughtUp() {
			return false
		}
	}
	return ownedCount(scs) == 64
}

// ownedCount is the number of partitions the scorers hold together.
func ownedCount(scs []*aggregator.Scorer) int {
	owned := 0
	for _, s := range scs {
		owned += len(s.Owned())
	}
	return owned
}
