package aggregator_test

import (
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
// RANKSTREAM_BENCH_RATE (5000) ev/s, made in stream time faster than real
// time: each event's JetStream time is loadgen's clock when it made the
// event (ts = that clock minus 0..2 s), so lateness, folding and freeing
// decide as in a live run at that rate. After RANKSTREAM_BENCH_RESTART_MINUTES
// ("3,30") of stream time the 64 partitions are checkpointed; a restart is
// then timed three times: a fresh engine restores every checkpoint and
// applies the next 10 s of traffic (the events after the checkpoint that a
// restarted scorer reads again before it is caught up). The NATS part of a
// restart (consumers, reading the tail) is the same for both and left out,
// which can only make the ratio larger. While it builds the state it prints
// a soak-curve row (BenchmarkSoakStateCurve) every RANKSTREAM_BENCH_SAMPLE_MIN
// (3) minutes of stream time.
//
//	go test ./aggregator -run '^$' -bench RestartAfterTraffic -benchtime 1x -timeout 120m
func BenchmarkRestartAfterTraffic(b *testing.B) {
	rate := envInt("RANKSTREAM_BENCH_RATE", 5000)
	spec := "3,30"
	if v := strings.TrimSpace(os.Getenv("RANKSTREAM_BENCH_RESTART_MINUTES")); v != "" {
		spec = v
	}
	for i := 0; i < b.N; i++ {
		var first time.Duration
		for _, f := range strings.Split(spec, ",") {
			minutes, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatal(err)
			}
			took, ckpt := restartAfter(b, minutes, rate)
			b.ReportMetric(took.Seconds(), "restart_s_after_"+f+"m")
			b.ReportMetric(float64(ckpt), "ckpt_B_after_"+f+"m")
			if first == 0 {
				first = took
			} else {
				b.ReportMetric(took.Seconds()/first.Seconds(), "ratio_"+f+"m_vs_first")
			}
		}
	}
}

// restartAfter builds the state of minutes of traffic, checkpoints it and
// returns the median of three restarts and the checkpoint bytes.
func restartAfter(b *testing.B, minutes, rate int) (time.Duration, int) {
	t0 := time.Now().UTC().Truncate(time.Hour)
	rules := contest.NewRegistry(soakContests(b, t0))
	now := t0
	gen := loadgen.NewGenerator(loadgen.Options{Users: 20000, Seed: 1, Now: func() time.Time { return now }})
	step := time.Second / time.Duration(rate)
	var seq uint64
	next := func() aggregator.StoredEvent {
		now = now.Add(step)
		subj, _, body, _ := gen.Next()
		seq++
		return aggregator.StoredEvent{Subject: partitioned(subj), Data: body, Seq: seq, Time: now}
	}
	opts := aggregator.PruneOptions{FinishedWindows: 3 * time.Minute}
	eng := aggregator.NewEngine(rules, 0)
	eng.SetPruning(opts)
	sample := envInt("RANKSTREAM_BENCH_SAMPLE_MIN", 3)
	for m := 1; m <= minutes; m++ {
		for k := 0; k < 60*rate; k++ {
			eng.Apply(next())
		}
		if m%sample == 0 {
			logSoakSample(eng, m, seq)
		}
	}
	eng.PruneAll()
	ckpts := make([][]byte, 64)
	size := 0
	for p := range ckpts {
		ckpts[p] = eng.MarshalPartition(nil, p, seq)
		size += len(ckpts[p])
	}
	eng = nil
	tail := make([]aggregator.StoredEvent, 10*rate)
	for k := range tail {
		tail[k] = next()
	}
	var runs []time.Duration
	for rep := 0; rep < 3; rep++ {
		start := time.Now()
		fresh := aggregator.NewEngine(rules, 0)
		fresh.SetPruning(opts)
		for p, data := range ckpts {
			if _, err := fresh.RestorePartition(p, data); err != nil {
				b.Fatal(err)
			}
		}
		for _, se := range tail {
			fresh.Apply(se)
		}
		runs = append(runs, time.Since(start))
	}
	b.Logf("after %d min at %d ev/s: checkpoints %.1f MiB, restart runs %v", minutes, rate, float64(size)/(1<<20), runs)
	return medianDur(runs), size
}
