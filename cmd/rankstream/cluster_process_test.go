package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	dir := t.TempDir()
	bin := filepath.Join(dir, "rankstream")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	nodes := testkit.Cluster(t, 3)
	urls := testkit.URLs(nodes)
	now := time.Now().UTC()
	contests := filepath.Join(dir, "contests")
	os.MkdirAll(contests, 0o755)
	os.WriteFile(filepath.Join(contests, "cl.yml"), []byte(fmt.Sprintf(`id: cl_sum
title: cluster
window: {start: %s, end: %s}
lateness: 90s
scope: {providers: [acme]}
scoring: {model: wager}
leaderboard: {type: sum, tiebreakers: [earliest_finish]}
`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))), 0o644)
	prefix := testkit.RedisPrefix(t, "rscl")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var procs []*proc
	start := func(name string) *proc {
		port := testkit.FreePort(t)
		cfg := filepath.Join(dir, name+".yml")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`http: {addr: "127.0.0.1:%d"}
nats: {url: "%s", partitions: 8, replicas: 3}
redis: {url: "%s", prefix: "%s"}
postgres: {url: ""}
contests_dir: %s
providers: {acme: cl-secret}
aggregator: {instance: auto, lease_ttl: 2s}
`, port, urls, testkit.RedisURL(), prefix, contests)), 0o644)
		p := &proc{name: name, http: fmt.Sprintf("127.0.0.1:%d", port), logs: &syncBuffer{}}
		p.cmd = exec.CommandContext(ctx, bin, "run", "--config", cfg, "--only", "ingest,aggregator,api,notifier")
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
		return p
	}
	defer func() { stopProcs(t, procs) }()
	ready := func(p *proc) {
		t.Helper()
		poll(t, 90*time.Second, p.name+" ready", func() bool {
			resp, err := http.Get("http://" + p.http + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	}
	// Both start at once on the fresh cluster: they race to create the R3
	// streams and buckets.
	p1, p2 := start("p1"), start("p2")
	ready(p1)
	ready(p2)
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
		body, _ := json.Marshal(map[string]any{"event_id": id, "ts": time.Now().UTC().Format(time.RFC3339Nano), "type": "round_end",
			"user_id": user, "game": map[string]any{"id": "g_1", "provider": "acme"},
			"bet": map[string]any{"amount_minor": bet, "currency": "EUR"}})
		deadline := time.Now().Add(60 * time.Second)
		for {
			m := nats.NewMsg("events.acme." + user)
			m.Data = body
			m.Header.Set("Nats-Msg-Id", id)
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := js.PublishMsg(pctx, m, jetstream.WithRetryAttempts(0))
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

// waitStandings polls p's API until the board equals want exactly.
func waitStandings(t *testing.T, p *proc, contestID string, want map[string]int64, d time.Duration) {
	t.Helper()
	var diff string
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + p.http + "/v1/leaderboards/" + contestID + "?top=1000")
		if err == nil {
			var lb struct {
				Top []struct {
					User  string
					Score int64
				}
			}
			json.NewDecoder(resp.Body).Decode(&lb)
			resp.Body.Close()
			got := map[string]int64{}
			for _, r := range lb.Top {
				got[r.User] = r.Score
			}
			diff = ""
			for u, w := range want {
				if got[u] != w {
					diff += fmt.Sprintf(" %s: got %d want %d;", u, got[u], w)
				}
			}
			if len(got) != len(want) {
				diff += fmt.Sprintf(" %d users, want %d", len(got), len(want))
			}
			if diff == "" {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: standings differ:%s", p.name, diff)
}

// stopProcs interrupts the processes and prints their logs on failure.
func stopProcs(t *testing.T, procs []*proc) {
	for _, p := range procs {
		p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range procs {
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("--- %s output:\n%s", p.name, p.logs.String())
		}
	}
}
