package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

const mpPartitions = 16

// TestAggregatorProcessesShareAndFailOver runs the pipeline as separate
// `rankstream run` processes against one NATS server, as an operator would:
// one process for ingest and the API (it also hosts the embedded NATS
// server), and aggregator processes with aggregator.instance: auto. Two
// aggregators start and share the partitions, a third joins under load and
// must take a share, one is SIGKILLed under load and its partitions must run
// elsewhere; at the end the API shows exactly the sums of the events sent
// (each counted once, duplicates included) and one process holds the ranker
// lease.
func TestAggregatorProcessesShareAndFailOver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	e := newProcEnv(t, false, map[string]string{"mp.yml": sumContest("mp_sum", "multi-process", time.Now().UTC(), "")})
	natsPort := testkit.FreePort(t)
	common := fmt.Sprintf(`redis: {url: "%s", prefix: "%s"}
postgres: {url: ""}
contests_dir: %s
providers: {acme: mp-secret}
admin_token: mp-admin-token
aggregator: {instance: auto, lease_ttl: 2s}
`, testkit.RedisURL(), testkit.RedisPrefix(t, "rsmp"), e.contests)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e.ctx = ctx
	defer e.stop()
	front, external := e.startFront(natsPort, common)
	startAgg := func(name string) *proc { return e.start(name, external, "aggregator,notifier") }
	a1 := startAgg("agg1")
	waitReady(t, a1, 60*time.Second)
	// The first aggregator holds the ranker lease: killing it later moves the
	// read model's writer too.
	poll(t, 15*time.Second, "agg1 holds the ranker lease", func() bool {
		v, _ := a1.metric(`rankstream_leader{lease="ranker"}`)
		return v == 1
	})
	a2 := startAgg("agg2")
	waitReady(t, a2, 60*time.Second)
	waitShared(t, "two processes share all partitions", a1, a2)

	// Load through the NATS door as provider acme: users' bets, some events re-sent.
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", natsPort), nats.UserInfo("acme", "mp-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var a3 *proc
	var killedAt time.Time
	want := mpLoad(ctx, t, js, func() { a3 = startAgg("agg3") }, func() {
		if err := a1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killedAt = time.Now()
	})

	// The dead process's partitions run elsewhere; the joiner has a share.
	waitShared(t, "survivors hold all partitions", a2, a3)
	t.Logf("partitions of the killed process running elsewhere %.1fs after SIGKILL (lease_ttl 2s)", time.Since(killedAt).Seconds())

	// Exact standings through the API of the front process.
	waitStandings(t, front, "mp_sum", want, 60*time.Second)
	// One writer of the read model among the survivors.
	poll(t, 15*time.Second, "one ranker lease holder", func() bool {
		l2, ok2 := a2.metric(`rankstream_leader{lease="ranker"}`)
		l3, ok3 := a3.metric(`rankstream_leader{lease="ranker"}`)
		return ok2 && ok3 && l2+l3 == 1
	})
	// and one publisher of the live pushes.
	poll(t, 15*time.Second, "one notifier lease holder", func() bool {
		l2, ok2 := a2.metric(`rankstream_leader{lease="notifier"}`)
		l3, ok3 := a3.metric(`rankstream_leader{lease="notifier"}`)
		return ok2 && ok3 && l2+l3 == 1
	})
}

// waitShared waits until the processes together own all mpPartitions
// partitions, each at least one.
func waitShared(t *testing.T, what string, ps ...*proc) {
	t.Helper()
	poll(t, 30*time.Second, what, func() bool {
		total := 0
		for _, p := range ps {
			v, _ := p.metric("rankstream_scorer_owned_partitions")
			if int(v) == 0 {
				return false
			}
			total += int(v)
		}
		return total == mpPartitions
	})
}

// mpLoad publishes 2400 events of 60 users (every seventh followed by a
// duplicate of an earlier one), calling join a quarter and kill half of the
// way. It returns each user's expected sum.
func mpLoad(ctx context.Context, t *testing.T, js jetstream.JetStream, join, kill func()) map[string]int64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	want := map[string]int64{}
	var sent []string
	publish := func(id, user string, bet int64) {
		if _, err := js.PublishMsg(ctx, eventMsg(id, user, roundEnd(id, user, bet))); err != nil {
			t.Fatalf("publish %s: %v", id, err)
		}
	}
	const users, events = 60, 2400
	for i := range events {
		user := "u" + strconv.Itoa(rng.IntN(users))
		bet := int64(1 + rng.IntN(500))
		id := fmt.Sprintf("mp-%d", i)
		publish(id, user, bet)
		want[user] += bet
		sent = append(sent, id+"|"+user+"|"+strconv.FormatInt(bet, 10))
		if i%7 == 3 { // a duplicate of an earlier event, counted once
			old := strings.Split(sent[rng.IntN(len(sent))], "|")
			b, _ := strconv.ParseInt(old[2], 10, 64)
			publish(old[0], old[1], b)
		}
		switch i {
		case events / 4:
			join()
		case events / 2:
			kill()
		}
		time.Sleep(2 * time.Millisecond)
	}
	return want
}
