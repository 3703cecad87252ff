package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// recoveryBench is the crash-recovery benchmark's stream and rules.
type recoveryBench struct {
	b     *testing.B
	ctx   context.Context
	st    *streams.Streams
	rules *contest.Registry
	g     *gen
}

type recoveryVariant struct {
	name string
	opts aggregator.ScorerOptions
}

// recoveryVariants are the restarted scorers measured, each from the same
// checkpoints (the measured runs write none: CheckpointInterval 1h).
var recoveryVariants = []recoveryVariant{
	// The default: a worker per core, one whole-stream lane.
	{"single", aggregator.ScorerOptions{}},
	// Parallel dispatch: a worker per partition, one whole-stream lane.
	{"single_64workers", aggregator.ScorerOptions{Workers: 64}},
	// Shared mode, one process holding all 64 leases: a worker and a lane per partition.
	{"shared", aggregator.ScorerOptions{Instance: "bench"}},
}

// BenchmarkCrashRecovery measures, in one run: the catch-up of a restarted
// scorer with RANKSTREAM_BENCH_EVENTS (default 1M) events after its last
// checkpoint (time from Run until CaughtUp and every publish acknowledged:
// checkpoints loaded, every event applied, every changed standing stored in
// SCORES), in each of recoveryVariants,
// against a plain ordered-consumer read of the same events;
// RANKSTREAM_BENCH_REPS (default 3) interleaved repetitions, medians;
// wall time and process CPU time per event, each as a ratio to the plain
// read's. RANKSTREAM_BENCH_VARIANTS (comma-separated names) runs only
// those; RANKSTREAM_BENCH_PROFILE=<dir> writes a CPU profile of each
// variant's first repetition there.
// Every scorer runs with the product's catch-up GC setting
// (ScorerOptions.CatchupGCPercent default); RANKSTREAM_BENCH_CATCHUP_GC=<n>
// sets it instead (-1: off), to measure with and without. Each run also
// prints the process's peak RSS during that run (VmHWM, reset before it).
// make bench-recovery; figures go to BENCHMARKS.md "Crash recovery".
func BenchmarkCrashRecovery(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_EVENTS", 1_000_000)
	reps := envInt("RANKSTREAM_BENCH_REPS", 3)
	ctx := context.Background()
	t0 := time.Now().UTC()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir(), Partitions: 64}, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rb := &recoveryBench{b: b, ctx: ctx, st: st, rules: contest.NewRegistry(propertyContests(&testing.T{}, t0)[:4]),
		g: &gen{r: rand.New(rand.NewSource(1)), t0: t0}}
	for i := 0; i < 20000; i++ {
		rb.g.users = append(rb.g.users, fmt.Sprintf("u_%d", i))
	}
	// A first life: 50k events, caught up, checkpointed. Then n more events
	// arrive while the scorer is down.
	rb.publish(50_000)
	base := rb.lastSeq()
	rb.run(aggregator.ScorerOptions{CheckpointInterval: 500 * time.Millisecond}, true)
	rb.publish(n)
	last := rb.lastSeq()
	since := float64(last - base)

	variants := recoveryVariants
	if only := os.Getenv("RANKSTREAM_BENCH_VARIANTS"); only != "" { // e.g. "single,shared"
		variants = slices.DeleteFunc(slices.Clone(variants), func(v recoveryVariant) bool {
			return !slices.Contains(strings.Split(only, ","), v.name)
		})
	}
	times := map[string][]time.Duration{}
	// cpus: process CPU time (the embedded server's included), far steadier
	// than wall time on a loaded machine.
	cpus := map[string][]time.Duration{}
	// As it goes: a run cut short by its timeout keeps its figures.
	note := func(name string, rep int, run func() time.Duration) {
		resetPeakRSS()
		stop := startVariantProfile(b, name, rep)
		cpu0 := aggregator.ProcessCPU()
		d := run()
		cpu := aggregator.ProcessCPU() - cpu0
		stop()
		times[name] = append(times[name], d)
		cpus[name] = append(cpus[name], cpu)
		fmt.Fprintf(os.Stderr, "crash recovery: %d events, %s %s, cpu %s (%.1f µs/event), peak RSS %d MiB\n", last-base, name,
			d.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(cpu.Microseconds())/since, peakRSS()>>20)
	}
	for rep := 0; rep < reps; rep++ {
		note("plain", rep, func() time.Duration { return rb.plainRead(base+1, last) })
		for _, v := range variants {
			opts := v.opts
			opts.CheckpointInterval = time.Hour
			note(v.name, rep, func() time.Duration { return rb.run(opts, false) })
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.Logf("peak RSS of the process (server, state, all runs): %d MiB", ru.Maxrss>>10)
	}
	plain, plainCPU := medianDuration(times["plain"]), medianDuration(cpus["plain"])
	b.ReportMetric(since/plain.Seconds(), "plain_ev/s")
	b.Logf("%d events after the checkpoint, %d repetitions; plain ordered read %s (%.0f ev/s) %v, cpu %.1f µs/event %v",
		last-base, reps, plain.Round(time.Millisecond), since/plain.Seconds(), times["plain"],
		float64(plainCPU.Microseconds())/since, cpus["plain"])
	for _, v := range variants {
		d, cpu := medianDuration(times[v.name]), medianDuration(cpus[v.name])
		b.ReportMetric(plain.Seconds()/d.Seconds(), v.name+"/plain")
		b.ReportMetric(plainCPU.Seconds()/cpu.Seconds(), v.name+"_cpu/plain_cpu")
		b.Logf("%s: caught up after %s (%.0f ev/s, %.3f of plain) %v; cpu %.1f µs/event (plain's %.3f of it) %v",
			v.name, d.Round(time.Millisecond), since/d.Seconds(), plain.Seconds()/d.Seconds(), times[v.name],
			float64(cpu.Microseconds())/since, plainCPU.Seconds()/cpu.Seconds(), cpus[v.name])
	}
}

// startVariantProfile writes a CPU profile of the first repetition of a
// variant to $RANKSTREAM_BENCH_PROFILE/<name>.cpu when that is set (not
// together with -test.cpuprofile); the returned func stops it.
func startVariantProfile(b *testing.B, name string, rep int) func() {
	dir := os.Getenv("RANKSTREAM_BENCH_PROFILE")
	if dir == "" || rep > 0 {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// resetPeakRSS resets the process's peak RSS (Linux; ignored elsewhere).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak RSS in bytes since start or the last
// resetPeakRSS (VmHWM; 0 when unknown).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (rb *recoveryBench) publish(count int) {
	publishGen(rb.b, rb.st.JS, rb.g, count)
}

func (rb *recoveryBench) lastSeq() uint64 {
	s, err := rb.st.JS.Stream(rb.ctx, streams.Events)
	if err != nil {
		rb.b.Fatal(err)
	}
	info, err := s.Info(rb.ctx)
	if err != nil {
		rb.b.Fatal(err)
	}
	return info.State.LastSeq
}

// run starts a scorer and returns the time until it caught up; with
// untilCheckpoint it then waits for a checkpoint round to be written.
func (rb *recoveryBench) run(opts aggregator.ScorerOptions, untilCheckpoint bool) time.Duration {
	opts.JS, opts.Rules, opts.Partitions = rb.st.JS, rb.rules, 64
	if v, err := strconv.Atoi(os.Getenv("RANKSTREAM_BENCH_CATCHUP_GC")); err == nil {
		opts.CatchupGCPercent = v // else 0: the product's default
	}
	opts.Metrics = aggregator.NewMetrics(nil)
	sc, err := aggregator.NewScorer(opts, testLogger())
	if err != nil {
		rb.b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(rb.ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- sc.Run(rctx) }()
	// Shared: CaughtUp already holds after the first lease round for the
	// partitions held by then; the run is over once all are held.
	for !sc.CaughtUp() || len(sc.Owned()) < opts.Partitions {
		select {
		case err := <-done:
			rb.b.Fatalf("scorer stopped before it caught up: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	acked := make(chan error, 1)
	go func() { acked <- sc.PublishesAcked(rctx) }()
	select { // every standing of the catch-up stored, not only handed to the client
	case err := <-acked:
		if err != nil {
			rb.b.Fatal(err)
		}
	case err := <-done:
		rb.b.Fatalf("scorer stopped before its standings were acknowledged: %v", err)
	}
	took := time.Since(start)
	applied := took // single mode: until the last worker started going live
	if at := sc.CatchupAppliedAt(); !at.IsZero() {
		applied = at.Sub(start)
	}
	var published dto.Metric
	if err := opts.Metrics.ScoresOut.Write(&published); err == nil && !untilCheckpoint {
		changes, standings := sc.CatchupCounts() // single mode only
		fmt.Fprintf(os.Stderr, "crash recovery: %.0f standings published going live (single mode: %d changes put pending, %d distinct (board, user)); events applied after %s, going live %s\n",
			published.GetCounter().GetValue(), changes, standings, applied.Round(time.Millisecond), (took - applied).Round(time.Millisecond))
	}
	if untilCheckpoint {
		time.Sleep(3 * opts.CheckpointInterval) // let a round be written
	}
	cancel()
	if err := <-done; err != nil {
		rb.b.Fatal(err)
	}
	return took
}

// plainRead reads [from, last] with one ordered consumer and does nothing
// with the messages.
func (rb *recoveryBench) plainRead(from, last uint64) time.Duration {
	start := time.Now()
	cons, err := rb.st.JS.OrderedConsumer(rb.ctx, streams.Events, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from})
	if err != nil {
		rb.b.Fatal(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2048))
	if err != nil {
		rb.b.Fatal(err)
	}
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			rb.b.Fatal(err)
		}
		if meta, err := m.Metadata(); err == nil && meta.Sequence.Stream >= last {
			return time.Since(start)
		}
	}
}
