package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// proc is one `rankstream run` child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	http string
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// metric reads the sum of the samples of a metric (name with labels or not)
// from a process's /metrics; ok false when the process does not answer.
func (p *proc) metric(name string) (float64, bool) {
	resp, err := http.Get("http://" + p.http + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, true
}

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
	dir := t.TempDir()
	bin := filepath.Join(dir, "rankstream")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	now := time.Now().UTC()
	contests := filepath.Join(dir, "contests")
	os.MkdirAll(contests, 0o755)
	os.WriteFile(filepath.Join(contests, "mp.yml"), []byte(fmt.Sprintf(`id: mp_sum
title: multi-process
window: {start: %s, end: %s}
lateness: 90s
scope: {providers: [acme]}
scoring: {model: wager}
leaderboard: {type: sum, tiebreakers: [earliest_finish]}
`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))), 0o644)
	natsPort := testkit.FreePort(t)
	prefix := testkit.RedisPrefix(t, "rsmp")
	const partitions = 16
	common := fmt.Sprintf(`redis: {url: "%s", prefix: "%s"}
postgres: {url: ""}
contests_dir: %s
providers: {acme: mp-secret}
admin_token: mp-admin-token
aggregator: {instance: auto, lease_ttl: 2s}
`, testkit.RedisURL(), prefix, contests)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var procs []*proc
	start := func(name, natsCfg, only string) *proc {
		port := testkit.FreePort(t)
		cfg := filepath.Join(dir, name+".yml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("http: {addr: \"127.0.0.1:%d\"}\n%s\n%s", port, natsCfg, common)), 0o644)
		p := &proc{name: name, http: fmt.Sprintf("127.0.0.1:%d", port), logs: &syncBuffer{}}
		p.cmd = exec.CommandContext(ctx, bin, "run", "--config", cfg, "--only", only)
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
		return p
	}
	defer func() {
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
	}()
	ready := func(p *proc, d time.Duration) {
		t.Helper()
		poll(t, d, p.name+" ready", func() bool {
			resp, err := http.Get("http://" + p.http + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	}
	front := start("front", fmt.Sprintf("nats: {port: %d, store_dir: %s, partitions: %d}", natsPort, filepath.Join(dir, "nats"), partitions), "ingest,api")
	ready(front, 60*time.Second)
	external := fmt.Sprintf("nats: {url: \"nats://127.0.0.1:%d\", partitions: %d}", natsPort, partitions)
	a1 := start("agg1", external, "aggregator,notifier")
	ready(a1, 60*time.Second)
	// The first aggregator holds the ranker lease: killing it later moves the
	// read model's writer too.
	poll(t, 15*time.Second, "agg1 holds the ranker lease", func() bool {
		v, _ := a1.metric(`rankstream_leader{lease="ranker"}`)
		return v == 1
	})
	a2 := start("agg2", external, "aggregator,notifier")
	ready(a2, 60*time.Second)
	owned := func(ps ...*proc) (int, []int) {
		total, each := 0, make([]int, len(ps))
		for i, p := range ps {
			v, _ := p.metric("rankstream_scorer_owned_partitions")
			each[i] = int(v)
			total += int(v)
		}
		return total, each
	}
	poll(t, 30*time.Second, "two processes share all partitions", func() bool {
		n, each := owned(a1, a2)
		return n == partitions && each[0] > 0 && each[1] > 0
	})

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
	rng := rand.New(rand.NewPCG(7, 11))
	want := map[string]int64{}
	var sent []string
	publish := func(id, user string, bet int64) {
		body, _ := json.Marshal(map[string]any{"event_id": id, "ts": time.Now().UTC().Format(time.RFC3339Nano), "type": "round_end",
			"user_id": user, "game": map[string]any{"id": "g_1", "provider": "acme"},
			"bet": map[string]any{"amount_minor": bet, "currency": "EUR"}})
		m := nats.NewMsg("events.acme." + user)
		m.Data = body
		m.Header.Set("Nats-Msg-Id", id)
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatalf("publish %s: %v", id, err)
		}
	}
	const users, events = 60, 2400
	var a3 *proc
	var killedAt time.Time
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
			a3 = start("agg3", external, "aggregator,notifier")
		case events / 2:
			if err := a1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killedAt = time.Now()
		}
		time.Sleep(2 * time.Millisecond)
	}

	// The dead process's partitions run elsewhere; the joiner has a share.
	poll(t, 30*time.Second, "survivors hold all partitions", func() bool {
		n, each := owned(a2, a3)
		return n == partitions && each[0] > 0 && each[1] > 0
	})
	t.Logf("partitions of the killed process running elsewhere %.1fs after SIGKILL (lease_ttl 2s)", time.Since(killedAt).Seconds())

	// Exact standings through the API of the front process.
	var lastDiff string
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + front.http + "/v1/leaderboards/mp_sum?top=1000")
		if err == nil {
			var lb struct {
				Total int
				Top   []struct {
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
			lastDiff = ""
			for u, w := range want {
				if got[u] != w {
					lastDiff += fmt.Sprintf(" %s: got %d want %d;", u, got[u], w)
				}
			}
			if len(got) != len(want) {
				lastDiff += fmt.Sprintf(" %d users, want %d", len(got), len(want))
			}
			if lastDiff == "" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("standings differ:%s", lastDiff)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// One writer of the read model among the survivors.
	poll(t, 15*time.Second, "one ranker lease holder", func() bool {
		l2, ok2 := a2.metric(`rankstream_leader{lease="ranker"}`)
		l3, ok3 := a3.metric(`rankstream_leader{lease="ranker"}`)
		return ok2 && ok3 && l2+l3 == 1
	})
}
