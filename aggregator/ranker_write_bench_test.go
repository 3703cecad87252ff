package aggregator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// BenchmarkRankerToSinks: the ranker's own share of the live push latency,
// with the rest of the pipeline replaced by fixed delays. Standings are
// published to SCORES at a steady rate (RANKSTREAM_BENCH_RATE, default
// 5000/s, over 20k users, as one scorer worker at 10k ev/s does), 10k
// users are watched, and the two sinks answer after a fixed wait (the
// feed 20 ms, the read model 10 ms: sleeps, so the figure is the ranker's
// scheduling, not the machine's CPU). Reported: the time from a standing's
// publish to the end of the sink write that carried it (p50, p99), ticks
// per second and the process's CPU per standing.
func BenchmarkRankerToSinks(b *testing.B) {
	rate := benchEnv("RANKSTREAM_BENCH_RATE", 5000)
	secs := benchEnv("RANKSTREAM_BENCH_SECONDS", 5)
	for i := 0; i < b.N; i++ {
		runRankerToSinks(b, rate, secs)
	}
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// delaySink answers after a fixed wait and records, for every change it
// is given, publish → write end (the standing's score is its publish time
// in µs).
type delaySink struct {
	name   string
	delay  time.Duration
	ranks  bool
	mu     sync.Mutex
	lat    []time.Duration
	writes int
}

func (s *delaySink) Name() string     { return s.name }
func (s *delaySink) WantsRanks() bool { return s.ranks }

func (s *delaySink) Write(ctx context.Context, b *Batch) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	for _, d := range b.Boards {
		for _, u := range d.Changed {
			s.lat = append(s.lat, now.Sub(time.UnixMicro(u.Standing.Score)))
		}
	}
	return nil
}

func runRankerToSinks(b *testing.B, rate, secs int) {
	_, _, js := testkit.JetStream(b)
	ctx := b.Context()
	for _, cfg := range streams.Configs(streams.Options{Partitions: 4, Replicas: 1}) {
		if cfg.Name == streams.Scores {
			if _, err := js.CreateStream(ctx, cfg); err != nil {
				b.Fatal(err)
			}
		}
	}
	now := time.Now().UTC()
	c, err := contest.Parse("t_sinks.yml", []byte(fmt.Sprintf("id: t_sinks\ntitle: sinks\nwindow: {start: %s, end: %s}\nscoring: {model: wager}\nleaderboard: {type: sum}\n",
		now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))))
	if err != nil {
		b.Fatal(err)
	}
	win, _ := c.CurrentWindow(now)
	board := contest.BoardID{Contest: c.ID, Window: win.Start.Unix()}
	const users = 20000
	watched := make([]string, 10000)
	for i := range watched {
		watched[i] = "u" + strconv.Itoa(i)
	}
	feed := &delaySink{name: "feed", delay: 20 * time.Millisecond, ranks: true}
	redis := &delaySink{name: "redis", delay: 10 * time.Millisecond}
	r, err := NewRanker(RankerOptions{JS: js, Rules: contest.NewRegistry([]*contest.Contest{c}), Sinks: []Sink{redis, feed},
		Watched: func(contest.BoardID) []string { return watched }, WatchedEvery: 250 * time.Millisecond}, testkit.Logger())
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	for !r.Ready() {
		time.Sleep(10 * time.Millisecond)
	}
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Now()
	sent := 0
	for time.Since(t0) < time.Duration(secs)*time.Second {
		due := int(time.Since(t0).Seconds() * float64(rate))
		for ; sent < due; sent++ {
			sm := ScoreMsg{Standing: contest.Standing{Score: time.Now().UnixMicro(), Rounds: 1}, SrcSeq: uint64(sent + 1)}
			if _, err := js.PublishAsync(scoreSubject(1, board, "u"+strconv.Itoa(rng.IntN(users))), sm.encode(nil)); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	<-js.PublishAsyncComplete()
	time.Sleep(500 * time.Millisecond) // the last ticks
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cancel()
	<-done
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	feed.mu.Lock()
	lat, writes := slices.Clone(feed.lat), feed.writes
	feed.mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	el := time.Since(t0).Seconds()
	b.ReportMetric(q(0.5), "to_feed_p50_ms")
	b.ReportMetric(q(0.99), "to_feed_p99_ms")
	b.ReportMetric(float64(writes)/el, "ticks/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(max(sent, 1)), "cpu_us/standing")
}
