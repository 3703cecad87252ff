package notifier_test

// BenchmarkPushLatency measures event acked → push received with many
// subscribers under sustained loadgen traffic (run with `make bench-push`;
// figures in BENCHMARKS.md, "Live push latency").
//
// The benchmark process runs rankstream (embedded NATS, scorer, ranker,
// notifier, gateway), loadgen and the probes; a helper process (this test
// binary, TestPushClientsHelper) holds the subscribers, because one process's
// open-file limit (20000 here) cannot hold both ends of 10k sockets. Both
// share the machine's cores.
//
// Subscribers are players, each subscribed to the contest: over WebSocket
// (/v1/ws, default) or straight over NATS with their JWT
// (RANKSTREAM_BENCH_TRANSPORT=nats; lb.<contest>.top and their own subject).
// They are loadgen users u_1… and probe players. Probes publish one event a
// second each through the NATS door (synchronous publish: the ack time is
// the start) and their own client stamps the rank message carrying the new
// score (the end):
//
//   - "top" probes sit far above everyone with a stable order, so their
//     subject carries only their own changes: the latency of the pipeline
//     (scorer → SCORES → ranker tick → Redis → notifier → NATS → gateway →
//     client);
//   - "crowd" probes score like loadgen users and are overtaken all the time,
//     so their subject is busy with "you moved" messages: their latency adds
//     the wait for the subject's slot (275 ms).
//
// Environment: RANKSTREAM_BENCH_WS (default 10000 subscribers),
// RANKSTREAM_BENCH_RATE (10000 events/s), RANKSTREAM_BENCH_SECONDS (30),
// RANKSTREAM_BENCH_PROBES (50 of each kind), RANKSTREAM_BENCH_TRANSPORT
// (ws or nats), RANKSTREAM_BENCH_TICK_MS (ranker tick, default 100).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/loadgen"
	"github.com/rankstream/rankstream/streams"
)

// transport is RANKSTREAM_BENCH_TRANSPORT: "ws" (default) or "nats".
func transport() string {
	if os.Getenv("RANKSTREAM_BENCH_TRANSPORT") == "nats" {
		return "nats"
	}
	return "ws"
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// raiseNoFile lifts the open-file limit to want, or as far as allowed; it
// returns the limit in force.
func raiseNoFile(want uint64) uint64 {
	var lim syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur >= want {
		return lim.Cur
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: max(want, lim.Max)}); err == nil {
		return want
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max})
	return lim.Max
}

const benchContest = "bench_live"

func benchContests(b *testing.B) []*contest.Contest {
	now := time.Now().UTC()
	c, err := contest.Parse("bench.yml", []byte(fmt.Sprintf(`id: %s
title: Bench live
window: {start: %s, end: %s}
lateness: 90s
scoring: {model: wager}
leaderboard: {type: sum, tiebreakers: [earliest_finish]}
`, benchContest, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))))
	if err != nil {
		b.Fatal(err)
	}
	return []*contest.Contest{c}
}

// probe is one probe player: ack time of its k-th event (score k·step+base).
type probe struct {
	user       string
	base, step int64
	mu         sync.Mutex
	acked      map[int64]time.Time // score -> ack time
	seen       map[int64]bool
}

type latencies struct {
	mu  sync.Mutex
	top []time.Duration
	crw []time.Duration
}

func (l *latencies) add(top bool, d time.Duration) {
	l.mu.Lock()
	if top {
		l.top = append(l.top, d)
	} else {
		l.crw = append(l.crw, d)
	}
	l.mu.Unlock()
}

func pct(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

func BenchmarkPushLatency(b *testing.B) {
	subs := benchEnv("RANKSTREAM_BENCH_WS", 10000)
	rate := benchEnv("RANKSTREAM_BENCH_RATE", 10000)
	secs := benchEnv("RANKSTREAM_BENCH_SECONDS", 30)
	nProbes := benchEnv("RANKSTREAM_BENCH_PROBES", 50)
	if lim := raiseNoFile(uint64(subs + 2000)); lim < uint64(subs+500) {
		subs = int(lim - 500)
		b.Logf("open-file limit %d: %d subscribers", lim, subs)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		prefix := fmt.Sprintf("rsbenchpush:%d:", time.Now().UnixNano())
		a, err := app.New(ctx, app.Options{
			HTTPAddr: "127.0.0.1:0", Streams: streams.Options{Port: -1, StoreDir: b.TempDir()},
			RedisURL: "redis://127.0.0.1:6379/11", RedisPrefix: prefix, Contests: benchContests(b),
			Providers: map[string]string{"acme": "bench"}, Live: app.LiveOptions{JWTSecret: "bench-secret", NATSPlayerAuth: true},
			RankerTick: time.Duration(benchEnv("RANKSTREAM_BENCH_TICK_MS", 100)) * time.Millisecond,
		}, quiet)
		if err != nil {
			b.Fatal(err)
		}
		a.Start(ctx)
		for ok, _ := a.Ready(); !ok; ok, _ = a.Ready() {
			time.Sleep(10 * time.Millisecond)
		}
		runPush(ctx, b, a, subs, rate, secs, nProbes)
		a.Stop()
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 11})
		iter := rdb.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
		for iter.Next(context.Background()) {
			rdb.Del(context.Background(), iter.Val())
		}
		rdb.Close()
		cancel()
	}
}

// benchUsers is the subscribers' user ids: the probes, then u_1, u_2, …
func benchUsers(subs, nProbes int) (users []string, probes []*probe) {
	for i := 0; i < nProbes; i++ {
		// Top probes: 10^12·(i+1) apart, +1 per event: never reordered, never
		// overtaken by loadgen users.
		probes = append(probes, &probe{user: fmt.Sprintf("ptop_%d", i), base: 1_000_000_000_000 * int64(i+1), step: 1,
			acked: map[int64]time.Time{}, seen: map[int64]bool{}})
		probes = append(probes, &probe{user: fmt.Sprintf("pcrowd_%d", i), step: 5000,
			acked: map[int64]time.Time{}, seen: map[int64]bool{}})
	}
	for _, p := range probes {
		users = append(users, p.user)
	}
	for n := 1; len(users) < subs; n++ {
		users = append(users, "u_"+strconv.Itoa(n))
	}
	return users, probes
}

// clientsProc is the helper process holding the WebSocket clients (the
// open-file limit of one process cannot hold both ends of 10k sockets).
type clientsProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startClients(b *testing.B, url, natsURL, secret string, subs, nProbes int) *clientsProc {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPushClientsHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "RANKSTREAM_PUSH_CLIENTS="+url, "RANKSTREAM_PUSH_SECRET="+secret,
		"RANKSTREAM_PUSH_NATS="+natsURL,
		"RANKSTREAM_BENCH_WS="+strconv.Itoa(subs), "RANKSTREAM_BENCH_PROBES="+strconv.Itoa(nProbes))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &clientsProc{cmd: cmd, stdin: stdin, lines: make(chan string, 1<<16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

func runPush(ctx context.Context, b *testing.B, a *app.App, subs, rate, secs, nProbes int) {
	users, probes := benchUsers(subs, nProbes)
	byUser := map[string]*probe{}
	for _, p := range probes {
		byUser[p.user] = p
	}
	t0 := time.Now()
	cp := startClients(b, "ws://"+a.Addr()+"/v1/ws", a.Streams.URL(), "bench-secret", len(users), nProbes)
	for line := range cp.lines {
		if strings.HasPrefix(line, "READY") {
			break
		}
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "---") {
			b.Fatalf("clients: %s", line)
		}
	}
	b.Logf("%d %s subscribers connected in %s", len(users), transport(), time.Since(t0))

	// Probe receive times, matched with the acks.
	lat := &latencies{}
	total := make(chan int64, 1)
	go func() {
		for line := range cp.lines {
			f := strings.Fields(line)
			switch {
			case len(f) == 4 && f[0] == "R":
				p := byUser[f[1]]
				score, _ := strconv.ParseInt(f[2], 10, 64)
				ns, _ := strconv.ParseInt(f[3], 10, 64)
				if p == nil {
					continue
				}
				p.mu.Lock()
				if at, ok := p.acked[score]; ok && !p.seen[score] {
					p.seen[score] = true
					lat.add(p.step == 1, time.Unix(0, ns).Sub(at))
				}
				p.mu.Unlock()
			case len(f) == 2 && f[0] == "TOTAL":
				n, _ := strconv.ParseInt(f[1], 10, 64)
				total <- n
			}
		}
	}()

	// Background traffic, then the probes, one event a second each.
	lctx, lcancel := context.WithCancel(ctx)
	lgDone := make(chan loadgen.Stats, 1)
	go func() {
		st, _ := loadgen.Run(lctx, loadgen.Options{JS: a.Streams.JS, Rate: float64(rate), Users: 20000,
			Providers: []string{"acme"}, Seed: 11, DuplicateRate: -1}, nil)
		lgDone <- st
	}()
	var probeErrs atomic.Int64
	publish := func(p *probe, k int, bet int64) bool {
		id := fmt.Sprintf("%s-%d", p.user, k)
		m := nats.NewMsg("events.acme." + p.user)
		m.Header.Set("Nats-Msg-Id", id)
		m.Data = []byte(fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"}}`,
			id, time.Now().UTC().Format(time.RFC3339Nano), p.user, bet))
		if _, err := a.Streams.JS.PublishMsg(ctx, m); err != nil {
			probeErrs.Add(1)
			return false
		}
		return true
	}
	// Warm-up: traffic runs, every probe gets onto the board (its first
	// event moves the probes below it: not measured).
	time.Sleep(2 * time.Second)
	for _, p := range probes {
		publish(p, 0, p.base+p.step)
	}
	time.Sleep(2 * time.Second)
	start := time.Now()
	var probeWG sync.WaitGroup
	for pi, p := range probes {
		probeWG.Add(1)
		go func() {
			defer probeWG.Done()
			time.Sleep(time.Duration(pi) * time.Second / time.Duration(len(probes))) // spread over the second
			score := p.base + p.step
			for k := 1; time.Since(start) < time.Duration(secs)*time.Second; k++ {
				score += p.step
				if !publish(p, k, p.step) {
					continue
				}
				p.mu.Lock()
				p.acked[score] = time.Now()
				p.mu.Unlock()
				time.Sleep(time.Second)
			}
		}()
	}
	probeWG.Wait()
	time.Sleep(2 * time.Second) // the last pushes
	elapsed := time.Since(start)
	lcancel()
	st := <-lgDone
	cp.stdin.Close()
	var msgs int64
	select {
	case msgs = <-total:
	case <-time.After(30 * time.Second):
		b.Error("clients did not report")
	}
	_ = cp.cmd.Wait()
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	cpu := func(ru *syscall.Rusage) float64 {
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	if ru, ok := cp.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		b.ReportMetric(cpu(ru)/elapsed.Seconds(), "clients_cores")
	}
	b.ReportMetric(cpu(&self)/time.Since(t0).Seconds(), "server_cores")

	sent, got := 0, 0
	for _, p := range probes {
		p.mu.Lock()
		sent += len(p.acked)
		got += len(p.seen)
		p.mu.Unlock()
	}
	b.ReportMetric(float64(len(users)), transport()+"_subscribers")
	b.ReportMetric(float64(st.Acked)/st.Elapsed.Seconds(), "loadgen_acked_ev/s")
	b.ReportMetric(float64(msgs)/(elapsed.Seconds()+3), "received_msgs/s")
	b.ReportMetric(pct(lat.top, 0.50), "p50_ms")
	b.ReportMetric(pct(lat.top, 0.95), "p95_ms")
	b.ReportMetric(pct(lat.top, 0.99), "p99_ms")
	b.ReportMetric(pct(lat.top, 1), "max_ms")
	b.ReportMetric(pct(lat.crw, 0.50), "crowd_p50_ms")
	b.ReportMetric(pct(lat.crw, 0.99), "crowd_p99_ms")
	b.ReportMetric(float64(got)/float64(max(sent, 1)), "probes_seen_ratio")
	b.Logf("probes: %d acked, %d pushes matched (%d publish errors); loadgen %+v", sent, got, probeErrs.Load(), st)
}

// TestPushClientsHelper is BenchmarkPushLatency's client process; it does
// nothing unless RANKSTREAM_PUSH_CLIENTS is set. It connects every
// subscriber, prints READY, then "R <user> <score> <unix ns>" for each rank
// message of a probe, and "TOTAL <messages>" when its stdin closes.
func TestPushClientsHelper(t *testing.T) {
	url := os.Getenv("RANKSTREAM_PUSH_CLIENTS")
	if url == "" {
		t.Skip("helper process of BenchmarkPushLatency")
	}
	subs := benchEnv("RANKSTREAM_BENCH_WS", 10000)
	nProbes := benchEnv("RANKSTREAM_BENCH_PROBES", 50)
	raiseNoFile(uint64(subs + 1000))
	tk, err := auth.NewTokens(auth.TokenOptions{Secret: []byte(os.Getenv("RANKSTREAM_PUSH_SECRET"))})
	if err != nil {
		t.Fatal(err)
	}
	users, probes := benchUsers(subs, nProbes)
	isProbe := map[string]bool{}
	for _, p := range probes {
		isProbe[p.user] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan string, 1<<16)
	var msgs atomic.Int64
	onMsg := func(u string, data []byte) {
		now := time.Now().UnixNano()
		msgs.Add(1)
		if !isProbe[u] {
			return
		}
		var m struct {
			Type  string
			Score int64
		}
		if json.Unmarshal(data, &m) == nil && m.Type == "rank" {
			out <- fmt.Sprintf("R %s %d %d", u, m.Score, now)
		}
	}
	var wg, readers sync.WaitGroup
	var closers sync.Map
	sem := make(chan struct{}, 64)
	nats := os.Getenv("RANKSTREAM_BENCH_TRANSPORT") == "nats"
	for _, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tok, _, err := tk.Issue(u)
			if err != nil {
				t.Error(err)
				return
			}
			if nats {
				nc, err := natsSubscriber(os.Getenv("RANKSTREAM_PUSH_NATS"), tok, u, onMsg)
				if err != nil {
					t.Errorf("nats %s: %v", u, err)
					return
				}
				closers.Store(u, func() { nc.Close() })
				return
			}
			c, _, err := websocket.Dial(ctx, url+"?token="+tok, nil)
			if err != nil {
				t.Errorf("dial %s: %v", u, err)
				return
			}
			c.SetReadLimit(1 << 20)
			if err := c.Write(ctx, websocket.MessageText, []byte(`{"op":"subscribe","contest":"`+benchContest+`"}`)); err != nil {
				t.Errorf("subscribe %s: %v", u, err)
				return
			}
			closers.Store(u, func() { _ = c.CloseNow() })
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					// No context per read (each would cost a timer); CloseNow ends it.
					_, data, err := c.Read(context.Background())
					if err != nil {
						return
					}
					onMsg(u, data)
				}
			}()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "READY", len(users))
	w.Flush()
	stdinDone := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinDone) }()
	for {
		select {
		case line := <-out:
			fmt.Fprintln(w, line)
			if len(out) == 0 {
				w.Flush()
			}
		case <-stdinDone:
			cancel()
			closers.Range(func(_, f any) bool { f.(func())(); return true })
			readers.Wait()
			for len(out) > 0 {
				fmt.Fprintln(w, <-out)
			}
			fmt.Fprintln(w, "TOTAL", msgs.Load())
			w.Flush()
			return
		}
	}
}

// natsSubscriber connects a player to the embedded server with their JWT and
// subscribes to the contest's top and their own subject.
func natsSubscriber(url, tok, user string, onMsg func(string, []byte)) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Token(tok), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	h := func(m *nats.Msg) { onMsg(user, m.Data) }
	for _, subj := range []string{streams.LiveTopSubject(benchContest), streams.LiveUserSubject(benchContest, user)} {
		sub, err := nc.Subscribe(subj, h)
		if err != nil {
			nc.Close()
			return nil, err
		}
		_ = sub.SetPendingLimits(-1, -1)
	}
	return nc, nc.Flush()
}
