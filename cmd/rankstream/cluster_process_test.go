package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// TestClusterProcessesR3NodeLoss: three clustered nats-server nodes and two
// `rankstream run` processes configured only through their config files
// with nats.replicas: 3. Every stream and bucket gets 3 replicas; one NATS
// node stops mid-load; every acknowledged event is counted once in the
// standings both processes serve. Runs under `make test-cluster`
// (RANKSTREAM_TEST_CLUSTER=1): about a minute and a half on two cores.
func TestClusterProcessesR3NodeLoss(t *testing.T) {
	if os.Getenv("RANKSTREAM_TEST_CLUSTER") == "" {
		t.Skip("set RANKSTREAM_TEST_CLUSTER=1 (make test-cluster)")
	}
	e := newProcEnv(t, false, map[string]string{"cl.yml": sumContest("cl_sum", "cluster", time.Now().UTC(), "")})
	nodes := testkit.Cluster(t, 3)
	urls := testkit.URLs(nodes)
	cfg := fmt.Sprintf(`nats: {url: "%s", partitions: 8, replicas: 3}
redis: {url: "%s", prefix: "%s"}
postgres: {url: ""}
contests_dir: %s
providers: {acme: cl-secret}
aggregator: {instance: auto, lease_ttl: 2s}
`, urls, testkit.RedisURL(), testkit.RedisPrefix(t, "rscl"), e.contests)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e.ctx = ctx
	defer e.stop()
	// Both start at once on the fresh cluster: they race to create the R3
	// streams and buckets.
	p1, p2 := e.start("p1", cfg, "ingest,aggregator,api,notifier"), e.start("p2", cfg, "ingest,aggregator,api,notifier")
	waitReady(t, p1, 90*time.Second)
	waitReady(t, p2, 90*time.Second)
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for _, name := range []string{streams.Events, streams.Scores, streams.DLQInvalid, streams.DLQLate,
		streams.KVStreamName(streams.LeaseBucket), streams.ObjectStreamName(streams.CheckpointBucket)} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Fatalf("%s has %d replicas, want 3 from the config files", name, r)
		}
	}

	want := clusterLoad(ctx, t, js, func() { nodes[1].Shutdown() })
	for _, p := range []*proc{p1, p2} {
		waitStandings(t, p, "cl_sum", want, 90*time.Second)
	}
}

// clusterLoad publishes events (some re-sent) until each is acknowledged,
// retrying with the same Nats-Msg-Id across the node loss, and calls kill a
// third of the way. It returns each user's expected sum.
func clusterLoad(ctx context.Context, t *testing.T, js jetstream.JetStream, kill func()) map[string]int64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 5))
	want := map[string]int64{}
	publish := func(id, user string, bet int64) {
		body := roundEnd(id, user, bet)
		deadline := time.Now().Add(60 * time.Second)
		for {
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := js.PublishMsg(pctx, eventMsg(id, user, body), jetstream.WithRetryAttempts(0))
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Fatalf("publish %s not acknowledged within 60s: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	const users, events = 40, 1500
	type sent struct {
		id, user string
		bet      int64
	}
	var all []sent
	for i := range events {
		s := sent{id: "cl-" + strconv.Itoa(i), user: "u" + strconv.Itoa(rng.IntN(users)), bet: int64(1 + rng.IntN(500))}
		publish(s.id, s.user, s.bet)
		want[s.user] += s.bet
		all = append(all, s)
		if i%9 == 4 { // a re-sent earlier event: counted once
			old := all[rng.IntN(len(all))]
			publish(old.id, old.user, old.bet)
		}
		if i == events/3 {
			kill()
		}
	}
	return want
}
