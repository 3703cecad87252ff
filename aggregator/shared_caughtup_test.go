package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// TestSharedCaughtUpAfterStandings: a shared-mode scorer's CaughtUp means
// what the single-mode scorer's does: every partition has read the stream
// up to its start and handed every standing its catch-up changed to the
// client. The single-mode scorer (no checkpoints) counts the standings a
// catch-up of the same events publishes; the shared-mode scorer must have
// published as many by the time it first reports CaughtUp holding every
// partition.
func TestSharedCaughtUpAfterStandings(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 15k events")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	const parts = 8
	t0 := time.Now().UTC()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: parts}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := contest.NewRegistry(propertyContests(t, t0)[:4])
	g := &gen{r: rand.New(rand.NewSource(7)), t0: t0}
	for i := 0; i < 3000; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	publishGen(t, st.JS, g, 15_000)
	want := standingsAtCaughtUp(ctx, t, aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: parts,
		CheckpointInterval: -1})
	if want < 5_000 {
		t.Fatalf("the single-mode catch-up published %v standings: too few to tell", want)
	}
	got := standingsAtCaughtUp(ctx, t, aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: parts,
		Instance: "caughtup", LeaseTTL: 3 * time.Second, CheckpointInterval: time.Hour})
	if got != want {
		t.Fatalf("shared mode reported CaughtUp with %v standings published, the catch-up publishes %v", got, want)
	}
}

// standingsAtCaughtUp runs a scorer until it reports CaughtUp holding every
// partition and returns how many standings it had published by then.
func standingsAtCaughtUp(ctx context.Context, t *testing.T, opts aggregator.ScorerOptions) float64 {
	t.Helper()
	opts.Metrics = aggregator.NewMetrics(nil)
	sc, err := aggregator.NewScorer(opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sc.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for !sc.CaughtUp() || len(sc.Owned()) < opts.Partitions {
		select {
		case err := <-done:
			t.Fatalf("scorer stopped before it caught up: %v", err)
		case <-ctx.Done():
			t.Fatal("not caught up in time")
		case <-time.After(time.Millisecond):
		}
	}
	var m dto.Metric
	if err := opts.Metrics.ScoresOut.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
