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
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// TestFourScorersShareEveryPartition: four shared-mode scorers (each with
// its own NATS connection, as four processes would have) start together on
// 64 partitions, their member keys already in the bucket (as the scorer
// benchmark registers them, or as a restart finds them); every partition
// must be owned, by exactly one of them, within three lease TTLs (under
// -race on a loaded two-core machine one round of takes can take a TTL), each of
// them holding a share; then all of them catch up.
func TestFourScorersShareEveryPartition(t *testing.T) {
	for _, pre := range []bool{true, false} {
		t.Run(fmt.Sprintf("members_preregistered=%v", pre), func(t *testing.T) { fourScorers(t, pre) })
	}
}

func fourScorers(t *testing.T, preregister bool) {
	const parts, n, ttl = 64, 4, 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: parts}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &gen{r: rand.New(rand.NewSource(3)), t0: t0}
	for i := 0; i < 200; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	p := &pipeline{t: t, st: st}
	for i := 0; i < 500; i++ {
		e := g.event()
		p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
	}
	if preregister {
		kv, err := streams.EnsureLeases(ctx, st.JS, ttl, 1)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < n; j++ {
			if _, err := kv.Put(ctx, streams.MemberKey(fmt.Sprintf("p%d", j)), []byte("test")); err != nil {
				t.Fatal(err)
			}
		}
	}
	rules := contest.NewRegistry(propertyContests(t, t0))
	var procs []*aggregator.Scorer
	for j := 0; j < n; j++ {
		pst, err := streams.Open(ctx, streams.Options{URL: st.URL(), Partitions: parts, Name: fmt.Sprintf("p%d", j)}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		defer pst.Close()
		sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: pst.JS, Rules: rules, Partitions: parts, Instance: fmt.Sprintf("p%d", j),
			LeaseTTL: ttl, CheckpointInterval: time.Hour, Metrics: aggregator.NewMetrics(prometheus.NewRegistry())}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, sc)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, n)
	start := time.Now()
	for _, sc := range procs {
		go func() { done <- sc.Run(rctx) }()
	}
	defer func() {
		stop()
		for range procs {
			if err := <-done; err != nil {
				t.Errorf("scorer: %v", err)
			}
		}
	}()
	testkit.Eventually(t, 3*ttl, func() error { return sharedEvenly(procs, parts) })
	t.Logf("%d partitions shared by %d scorers in %s (lease TTL %s)", parts, n, time.Since(start), ttl)
	testkit.Eventually(t, 30*time.Second, func() error {
		if err := sharedEvenly(procs, parts); err != nil {
			return err
		}
		for i, sc := range procs {
			if ok, err := sc.UpToDate(ctx); err != nil || !ok || !sc.CaughtUp() {
				return fmt.Errorf("scorer %d not up to date (%v)", i, err)
			}
		}
		return nil
	})
}

// sharedEvenly says why procs do not (yet) own every partition exactly
// once, each a share.
func sharedEvenly(procs []*aggregator.Scorer, parts int) error {
	count := map[int]int{}
	var shares []int
	for _, sc := range procs {
		o := sc.Owned()
		shares = append(shares, len(o))
		for _, p := range o {
			count[p]++
		}
	}
	for _, n := range shares {
		if n == 0 {
			return fmt.Errorf("a scorer holds no partition (shares %v)", shares)
		}
	}
	if len(count) != parts {
		return fmt.Errorf("%d of %d partitions owned (shares %v)", len(count), parts, shares)
	}
	for p, c := range count {
		if c != 1 {
			return fmt.Errorf("partition %d owned %d times", p, c)
		}
	}
	return nil
}
