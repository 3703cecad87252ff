package replay_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/streams"
)

// plainRead reads EVENTS with an ordered consumer (same pull settings as
// replay) and does nothing with the messages: the floor replay is measured
// against.
func plainRead(ctx context.Context, js jetstream.JetStream, last uint64) (int, error) {
	cons, err := js.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	n := 0
	for {
		msg, err := it.Next()
		if err != nil {
			return n, err
		}
		n++
		meta, err := msg.Metadata()
		if err == nil && meta.Sequence.Stream >= last {
			return n, nil
		}
	}
}

// BenchmarkReplayVsRead replays 300k events (64 partitions, 20k users, two
// contests, one with divisions) and, in the same run, reads them with a
// plain ordered consumer. replay_vs_read = read time / replay time (target
// ≥ 0.7), and a replay with a lane per partition (per_partition_speedup =
// one-lane replay time / per-partition replay time).
//
// The plain read swings by 3× within one process (page cache, the GC of
// what ran before it), so the run first reads the stream once untimed (the
// page cache), then alternates RANKSTREAM_BENCH_REPS (default 5, at least
// 3) pairs of a read and a replay, each timed part after a runtime.GC (no
// part pays for the garbage of the one before). Each pair gives a ratio;
// replay_vs_read is their median, replay_vs_read_old the earlier figure
// (median read time / median replay time) for comparison.
func BenchmarkReplayVsRead(b *testing.B) {
	const n = 300_000
	ctx := context.Background()
	// As rankstream replay does for its whole process (see cmd/rankstream).
	defer replay.TuneGC()()
	st, cs, last := benchStream(b, n)
	defer st.Close()
	reps := 5
	if v, err := strconv.Atoi(os.Getenv("RANKSTREAM_BENCH_REPS")); err == nil {
		reps = max(v, 3)
	}
	if got, err := plainRead(ctx, st.JS, last); err != nil || got != n { // warm the page cache
		b.Fatalf("plain read: %d %v", got, err)
	}

	var readT, replayT, partT, readCPU, replayCPU []time.Duration
	var ratios, cpuRatios []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rep := 0; rep < reps; rep++ {
			runtime.GC()
			t0, c0 := time.Now(), processCPU(b)
			if got, err := plainRead(ctx, st.JS, last); err != nil || got != n {
				b.Fatalf("plain read: %d %v", got, err)
			}
			readT, readCPU = append(readT, time.Since(t0)), append(readCPU, processCPU(b)-c0)
			runtime.GC()
			t0, c0 = time.Now(), processCPU(b)
			res, err := replay.Run(ctx, replay.Options{JS: st.JS, Rules: contest.NewRegistry(cs)})
			if err != nil || res.Events != n || len(res.Boards) != 4 {
				b.Fatalf("replay: %v %v", res, err)
			}
			replayT, replayCPU = append(replayT, time.Since(t0)), append(replayCPU, processCPU(b)-c0)
			k := len(readT) - 1
			ratios = append(ratios, readT[k].Seconds()/replayT[k].Seconds())
			cpuRatios = append(cpuRatios, readCPU[k].Seconds()/replayCPU[k].Seconds())
			runtime.GC()
			t0 = time.Now()
			pres, err := replay.Run(ctx, replay.Options{JS: st.JS, Rules: contest.NewRegistry(cs), PerPartition: true})
			if err != nil || pres.Events != n || len(pres.Boards) != 4 {
				b.Fatalf("replay per partition: %v %v", pres, err)
			}
			partT = append(partT, time.Since(t0))
		}
	}
	b.StopTimer()
	rt, pt, ppt := median(readT), median(replayT), median(partT)
	ratio := medianF(ratios)
	b.ReportMetric(pt.Seconds()/ppt.Seconds(), "per_partition_speedup")
	b.ReportMetric(float64(n)/rt.Seconds(), "read_events/s")
	b.ReportMetric(float64(n)/pt.Seconds(), "replay_events/s")
	b.ReportMetric(ratio, "replay_vs_read")
	b.ReportMetric(rt.Seconds()/pt.Seconds(), "replay_vs_read_old")
	rc, pc := median(readCPU), median(replayCPU)
	b.ReportMetric(float64(rc.Nanoseconds())/n, "read_cpu_ns/event")
	b.ReportMetric(float64(pc.Nanoseconds())/n, "replay_cpu_ns/event")
	b.ReportMetric(medianF(cpuRatios), "replay_vs_read_cpu")
	fmt.Printf("%d events, %d pairs: plain ordered read %v (%.0f/s), replay %v (%.0f/s) (medians); ratio per pair %s, median %.3f (old: median read / median replay %.3f); replay with a lane per partition %v (%.2f× the one-lane replay)\n",
		n, len(ratios), rt, float64(n)/rt.Seconds(), pt, float64(n)/pt.Seconds(), fmtRatios(ratios), ratio, rt.Seconds()/pt.Seconds(), ppt, pt.Seconds()/ppt.Seconds())
	fmt.Printf("process CPU per event (server and client, medians): plain read %.0f ns, replay %.0f ns; ratio per pair %s, median %.3f\n",
		float64(rc.Nanoseconds())/n, float64(pc.Nanoseconds())/n, fmtRatios(cpuRatios), medianF(cpuRatios))
}

// BenchmarkReplayRun is the one-lane replay of BenchmarkReplayVsRead alone
// (its stream published once, then b.N replays), for profiles of the
// replay's own CPU: replay_cpu_ns/event is the process CPU per event.
func BenchmarkReplayRun(b *testing.B) {
	const n = 300_000
	ctx := context.Background()
	defer replay.TuneGC()()
	st, cs, _ := benchStream(b, n)
	defer st.Close()
	b.ResetTimer()
	c0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		res, err := replay.Run(ctx, replay.Options{JS: st.JS, Rules: contest.NewRegistry(cs)})
		if err != nil || res.Events != n || len(res.Boards) != 4 {
			b.Fatalf("replay: %v %v", res, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-c0).Nanoseconds())/float64(n*b.N), "replay_cpu_ns/event")
}

// benchStream publishes the benchmarks' n events (64 partitions, 20k users,
// two contests, one with divisions) to a new embedded server and returns
// it, the contests and the last sequence.
func benchStream(b *testing.B, n int) (*streams.Streams, []*contest.Contest, uint64) {
	ctx := context.Background()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir(), Partitions: 64, DedupWindow: time.Second}, apptest.Logger())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	cs := apptest.BenchContests(b, now)
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("u_%d", i%20000)
		id := fmt.Sprintf("e%d", i)
		m := nats.NewMsg("events.acme." + user)
		m.Data = apptest.Event(id, user, "acme", now.Add(-time.Hour).Add(time.Duration(i)*time.Millisecond*10), int64(10+i%90), int64(i%17*7), []string{"DE", "SE", "FI"}[i%3])
		m.Header.Set("Nats-Msg-Id", id)
		if _, err := st.JS.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
		if i%2000 == 1999 { // below the client's 4000 pending async publishes
			<-st.JS.PublishAsyncComplete()
		}
	}
	<-st.JS.PublishAsyncComplete()
	s, err := st.JS.Stream(ctx, streams.Events)
	if err != nil {
		b.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return st, cs, info.State.LastSeq
}

// processCPU is the CPU time (user + system) the process used so far: the
// embedded server's and the client's, steadier than wall time on a loaded
// machine.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianF(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtRatios(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = strconv.FormatFloat(f, 'f', 3, 64)
	}
	return strings.Join(parts, " ")
}
