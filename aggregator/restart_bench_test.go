package aggregator_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/loadgen"
)

// BenchmarkRestartAfterTraffic compares a scorer restart after 30 minutes of
// traffic with one after 3 minutes (issue 10: within 2×). The traffic and
// contests are those of `make soak-state` (BenchmarkSoakStateCurve) at
// RANKSTREAM_BENCH_RATE (5000) ev/s of RANKSTREAM_BENCH_USERS (20 000)
// users, made in stream time faster than real time: each event's JetStream
// time is loadgen's clock when it made the event (ts = that clock minus
// 0..2 s), so lateness, folding and freeing decide as in a live run at that
// rate. At each of RANKSTREAM_BENCH_RESTART_MINUTES ("3,30") of stream time
// one engine's 64 partitions are checkpointed and the next 10 s of traffic
// kept as the tail (the events after the checkpoint that a restarted scorer
// reads again before it is caught up); the engine goes on with them. Then
// restarts are timed, RANKSTREAM_BENCH_RESTARTS (5) of each, alternated: a fresh engine restores
// every checkpoint and applies its tail. The NATS part of a restart
// (consumers, reading the tail) is the same for both and left out, which can
// only make the ratio larger. While it builds the state it prints a
// soak-curve row (BenchmarkSoakStateCurve) every RANKSTREAM_BENCH_SAMPLE_MIN
// (3) minutes of stream time.
//
//	go test ./aggregator -run '^$' -bench RestartAfterTraffic -benchtime 1x -timeout 120m
func BenchmarkRestartAfterTraffic(b *testing.B) {
	rate := envInt("RANKSTREAM_BENCH_RATE", 5000)
	var at []int
	spec := os.Getenv("RANKSTREAM_BENCH_RESTART_MINUTES")
	if spec == "" {
		spec = "3,30"
	}
	for _, f := range strings.Split(spec, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			b.Fatal(err)
		}
		at = append(at, m)
	}
	for i := 0; i < b.N; i++ {
		points := buildRestartPoints(b, at, rate)
		runs := make([][]time.Duration, len(points))
		for rep := 0; rep < envInt("RANKSTREAM_BENCH_RESTARTS", 5); rep++ {
			for j, pt := range points {
				d := pt.restart(b)
				runs[j] = append(runs[j], d)
				// At once on stderr: a run stopped by its time box keeps what it measured.
				fmt.Fprintf(os.Stderr, "restart: after %d min: %v (checkpoints %d B)\n", pt.minutes, d, pt.size)
			}
		}
		for j, pt := range points {
			med := medianDur(runs[j])
			m := strconv.Itoa(pt.minutes) + "m"
			b.ReportMetric(med.Seconds(), "restart_s_after_"+m)
			b.ReportMetric(float64(pt.size), "ckpt_B_after_"+m)
			if j > 0 {
				b.ReportMetric(med.Seconds()/medianDur(runs[0]).Seconds(), "ratio_"+m+"_vs_"+strconv.Itoa(points[0].minutes)+"m")
			}
			b.Logf("after %d min at %d ev/s: checkpoints %.1f MiB, %d candidates; restarts %v (median %v)",
				pt.minutes, rate, float64(pt.size)/(1<<20), pt.cands, runs[j], med)
		}
	}
}

// restartPoint is the checkpoint of every partition at one moment and the
// traffic that follows it.
type restartPoint struct {
	minutes int
	rules   *contest.Registry
	ckpts   [][]byte
	size    int
	cands   int
	tail    []aggregator.StoredEvent
}

// buildRestartPoints runs the traffic up to the largest of at (minutes of
// stream time, ascending) and keeps a restartPoint at each.
func buildRestartPoints(b *testing.B, at []int, rate int) []restartPoint {
	t0 := time.Now().UTC().Truncate(time.Hour)
	rules := soakRules(b, t0)
	now := t0
	gen := loadgen.NewGenerator(loadgen.Options{Users: envInt("RANKSTREAM_BENCH_USERS", 20000), Seed: 1,
		Now: func() time.Time { return now }})
	step := time.Second / time.Duration(rate)
	var seq uint64
	next := func() aggregator.StoredEvent {
		now = now.Add(step)
		subj, _, body, _ := gen.Next()
		seq++
		return aggregator.StoredEvent{Subject: partitioned(subj), Data: body, Seq: seq, Time: now}
	}
	eng := aggregator.NewEngine(rules, 0)
	eng.SetPruning(restartPruning)
	sample := envInt("RANKSTREAM_BENCH_SAMPLE_MIN", 3)
	var out []restartPoint
	for m := 1; len(out) < len(at); m++ {
		for k := 0; k < 60*rate; k++ {
			eng.Apply(next())
		}
		if m%sample == 0 {
			logSoakSample(eng, m, seq)
		}
		if m != at[len(out)] {
			continue
		}
		pt := restartPoint{minutes: m, rules: rules, ckpts: make([][]byte, 64), tail: make([]aggregator.StoredEvent, 10*rate)}
		for p := range pt.ckpts {
			pt.ckpts[p] = eng.MarshalPartition(nil, p, seq)
			pt.size += len(pt.ckpts[p])
		}
		_, _, pt.cands = eng.StateSize()
		for k := range pt.tail {
			pt.tail[k] = next()
			eng.Apply(pt.tail[k])
		}
		out = append(out, pt)
	}
	return out
}

var restartPruning = aggregator.PruneOptions{FinishedWindows: 3 * time.Minute}

// restart times one restart from the point: restore, then the tail.
func (pt *restartPoint) restart(b *testing.B) time.Duration {
	start := time.Now()
	fresh := aggregator.NewEngine(pt.rules, 0)
	fresh.SetPruning(restartPruning)
	for p, data := range pt.ckpts {
		if _, err := fresh.RestorePartition(p, data); err != nil {
			b.Fatal(err)
		}
	}
	for _, se := range pt.tail {
		fresh.Apply(se)
	}
	return time.Since(start)
}
