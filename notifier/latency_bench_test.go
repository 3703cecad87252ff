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
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/aggregator"
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
	pubAt      map[int64]time.Time // score -> on NATS (top probes)
	scoredAt   map[int64]time.Time // score -> its standing on SCORES (top probes)
	fedAt      map[int64]time.Time // score -> its rank on the RANKS feed (top probes)
	readAt     map[int64]time.Time // score -> read by the client
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
	// The GC target `rankstream run` sets (the product's setting).
	defer aggregator.TuneLiveGC(context.Background())()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		prefix := fmt.Sprintf("rsbenchpush:%d:", time.Now().UnixNano())
		reg := prometheus.NewRegistry()
		a, err := app.New(ctx, app.Options{Registry: reg,
			Only:     []string{app.StageIngest, app.StageAggregator, app.StageAPI, app.StageNotifier},
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
		stageQuantiles(b, reg)
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
			acked: map[int64]time.Time{}, seen: map[int64]bool{}, pubAt: map[int64]time.Time{}, readAt: map[int64]time.Time{}, scoredAt: map[int64]time.Time{}, fedAt: map[int64]time.Time{}})
		probes = append(probes, &probe{user: fmt.Sprintf("pcrowd_%d", i), step: 5000,
			acked: map[int64]time.Time{}, seen: map[int64]bool{}, pubAt: map[int64]time.Time{}, readAt: map[int64]time.Time{}, scoredAt: map[int64]time.Time{}, fedAt: map[int64]time.Time{}})
	}
	for _, p := range probes {
		users = append(users, p.user)
	}
	for n := 1; len(users) < subs; n++ {
		users = append(users, "u_"+strconv.Itoa(n))
	}
	return users, probes
}

func runPush(ctx context.Context, b *testing.B, a *app.App, subs, rate, secs, nProbes int) {
	users, probes := benchUsers(subs, nProbes)
	byUser := map[string]*probe{}
	for _, p := range probes {
		byUser[p.user] = p
	}
	t0 := time.Now()
	cp := startClients(b, "ws://"+a.Addr()+"/v1/ws", a.Streams.URL(), "bench-secret", len(users), nProbes)
	cp.waitReady(b)
	b.Logf("%d %s subscribers (client %s) connected in %s", len(users), transport(), benchClient(), time.Since(t0))
	unwatch := watchPublished(b, a.Streams.NC, probes)
	unfeed := watchFed(ctx, b, a.Streams.JS, probes)
	lat := &latencies{}
	total := make(chan int64, 1)
	go cp.collect(byUser, lat, total)

	// Background traffic, then the probes, one event a second each.
	lctx, lcancel := context.WithCancel(ctx)
	lgDone := make(chan loadgen.Stats, 1)
	go func() {
		st, _ := loadgen.Run(lctx, loadgen.Options{JS: a.Streams.JS, Rate: float64(rate), Users: 20000,
			Providers: []string{"acme"}, Seed: 11, DuplicateRate: -1}, nil)
		lgDone <- st
	}()
	pr := &probeRun{ctx: ctx, js: a.Streams.JS}
	elapsed := pr.run(probes, secs)
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
	unwatch()
	unfeed()
	reportProbeStages(b, probes)
	reportScoresPerEvent(ctx, b, a.Streams.JS)
	r := pushReport{users: len(users), lg: st, msgs: msgs, elapsed: elapsed, since: time.Since(t0),
		probeErrs: pr.errs.Load(), lat: lat, probes: probes}
	r.report(b, cp.cmd.ProcessState)
}

// probeRun publishes the probes' events through the NATS door.
type probeRun struct {
	ctx  context.Context
	js   jetstream.JetStream
	errs atomic.Int64
}

// publish sends p's k-th event (bet points); false when it was not acked.
func (r *probeRun) publish(p *probe, k int, bet int64) bool {
	id := fmt.Sprintf("%s-%d", p.user, k)
	m := nats.NewMsg("events.acme." + p.user)
	m.Header.Set("Nats-Msg-Id", id)
	m.Data = []byte(fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"}}`,
		id, time.Now().UTC().Format(time.RFC3339Nano), p.user, bet))
	if _, err := r.js.PublishMsg(r.ctx, m); err != nil {
		r.errs.Add(1)
		return false
	}
	return true
}

// run warms up (traffic runs, every probe gets onto the board: its first
// event moves the probes below it, not measured), then has every probe
// publish one event a second for secs seconds, and waits for the last
// pushes. It returns how long the measured part lasted.
func (r *probeRun) run(probes []*probe, secs int) time.Duration {
	time.Sleep(2 * time.Second)
	for _, p := range probes {
		r.publish(p, 0, p.base+p.step)
	}
	time.Sleep(2 * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for pi, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(pi) * time.Second / time.Duration(len(probes))) // spread over the second
			score := p.base + p.step
			for k := 1; time.Since(start) < time.Duration(secs)*time.Second; k++ {
				score += p.step
				if !r.publish(p, k, p.step) {
					continue
				}
				p.mu.Lock()
				p.acked[score] = time.Now()
				p.mu.Unlock()
				time.Sleep(time.Second)
			}
		}()
	}
	wg.Wait()
	time.Sleep(2 * time.Second) // the last pushes
	return time.Since(start)
}

// pushReport is what one run measured.
type pushReport struct {
	users     int
	lg        loadgen.Stats
	msgs      int64         // messages the clients received
	elapsed   time.Duration // measured part
	since     time.Duration // since the clients started
	probeErrs int64
	lat       *latencies
	probes    []*probe
}

func (r *pushReport) report(b *testing.B, clients *os.ProcessState) {
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	cpu := func(ru *syscall.Rusage) float64 {
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	if ru, ok := clients.SysUsage().(*syscall.Rusage); ok {
		b.ReportMetric(cpu(ru)/r.elapsed.Seconds(), "clients_cores")
	}
	b.ReportMetric(cpu(&self)/r.since.Seconds(), "server_cores")
	sent, got := 0, 0
	for _, p := range r.probes {
		p.mu.Lock()
		sent += len(p.acked)
		got += len(p.seen)
		p.mu.Unlock()
	}
	lat := r.lat
	b.ReportMetric(float64(r.users), transport()+"_subscribers")
	b.ReportMetric(float64(r.lg.Acked)/r.lg.Elapsed.Seconds(), "loadgen_acked_ev/s")
	b.ReportMetric(float64(r.msgs)/(r.elapsed.Seconds()+3), "received_msgs/s")
	b.ReportMetric(pct(lat.top, 0.50), "p50_ms")
	b.ReportMetric(pct(lat.top, 0.95), "p95_ms")
	b.ReportMetric(pct(lat.top, 0.99), "p99_ms")
	b.ReportMetric(pct(lat.top, 1), "max_ms")
	b.ReportMetric(pct(lat.crw, 0.50), "crowd_p50_ms")
	b.ReportMetric(pct(lat.crw, 0.99), "crowd_p99_ms")
	b.ReportMetric(float64(got)/float64(max(sent, 1)), "probes_seen_ratio")
	b.Logf("probes: %d acked, %d pushes matched (%d publish errors); loadgen %+v", sent, got, r.probeErrs, r.lg)
}
