// Package bench measures the whole pipeline against plain JetStream in the
// same run. Run with `make bench-pipeline`; figures go to BENCHMARKS.md.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/loadgen"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// benchSecret is provider acme's secret: HMAC key of the HTTP door and
// NATS password of the provider's own connection.
const benchSecret = "bench"

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

type msg struct {
	subj, id string
	body     []byte
}

func genMsgs(n int) []msg {
	g := loadgen.NewGenerator(loadgen.Options{Users: 20000, Providers: []string{"acme"}, Seed: 7, DuplicateRate: -1})
	out := make([]msg, 0, n)
	for len(out) < n {
		s, id, b, _ := g.Next()
		out = append(out, msg{s, id, append([]byte(nil), b...)})
	}
	return out
}

func benchContests(b testing.TB) []*contest.Contest {
	now := time.Now().UTC()
	yml := fmt.Sprintf(`id: bench_sum
title: Bench
window: {start: %s, end: %s}
lateness: 90s
scoring: {formula: "min(multiplier, 50) * 100", cap_per_event: 5000}
leaderboard: {type: sum, tiebreakers: [highest_single_multiplier, earliest_finish]}
`, now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339))
	c, err := contest.Parse("bench.yml", []byte(yml))
	if err != nil {
		b.Fatal(err)
	}
	return []*contest.Contest{c}
}

func publishAll(ctx context.Context, b testing.TB, js jetstream.JetStream, msgs []msg) time.Duration {
	start := time.Now()
	for _, m := range msgs {
		nm := nats.NewMsg(m.subj)
		nm.Data = m.body
		nm.Header.Set("Nats-Msg-Id", m.id)
		for {
			_, err := js.PublishMsgAsync(nm)
			if err == nil {
				break
			}
			if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				b.Fatal(err)
			}
			<-js.PublishAsyncComplete()
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal("acks timed out")
	}
	return time.Since(start)
}

// rawRate publishes msgs to a bare EVENTS stream (same config, nothing
// consuming it): the baseline.
func rawRate(ctx context.Context, b *testing.B, msgs []msg) float64 {
	defer aggregator.TuneLiveGC(ctx)() // the doors' GC target: a ratio compares the same process settings
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	js, _ := jetstream.New(st.NC, jetstream.WithPublishAsyncMaxPending(4000))
	d := publishAll(ctx, b, js, msgs)
	return float64(len(msgs)) / d.Seconds()
}

// pipeline is a running app of the benchmark with its Redis read model.
type pipeline struct {
	a         *app.App
	rdb       *redis.Client
	prefix    string
	restoreGC func()
}

// startApp starts the doors, scorers, ranker and read model, with the GC
// target `rankstream run` sets (aggregator.TuneLiveGC: the product's
// setting, not the benchmark's) until cleanup.
func startApp(ctx context.Context, b testing.TB) *pipeline {
	prefix := fmt.Sprintf("rsbench:%d:", time.Now().UnixNano())
	restoreGC := aggregator.TuneLiveGC(ctx)
	a, err := app.New(ctx, app.Options{
		HTTPAddr: "127.0.0.1:0", Streams: streams.Options{Port: -1, StoreDir: b.TempDir()},
		RedisURL: "redis://127.0.0.1:6379/11", RedisPrefix: prefix, Contests: benchContests(b),
		Providers: map[string]string{"acme": benchSecret},
		// What the benchmark measures: doors, scorers, ranker, read model.
		Only: []string{app.StageIngest, app.StageAggregator, app.StageAPI},
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		restoreGC()
		b.Fatal(err)
	}
	a.Start(ctx)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 11})
	for !func() bool { ok, _ := a.Ready(); return ok }() {
		time.Sleep(10 * time.Millisecond)
	}
	return &pipeline{a: a, rdb: rdb, prefix: prefix, restoreGC: restoreGC}
}

// cleanup stops the app, deletes its Redis keys and gives the GC target
// back (each baseline sets the same target for its own phase).
func (p *pipeline) cleanup() {
	p.a.Stop()
	ctx := context.Background()
	iter := p.rdb.Scan(ctx, 0, p.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		p.rdb.Del(ctx, iter.Val())
	}
	p.rdb.Close()
	p.restoreGC()
}

// BenchmarkPipeline reports events/s ingested, scored and ranked through each
// door as a ratio to plain JetStream async publishing of the same messages.
func BenchmarkPipeline(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_EVENTS", 200000)
	msgs := genMsgs(n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	only := benchPhases(os.Getenv("RANKSTREAM_BENCH_PHASES"))
	var want map[string]int64
	if only["nats"] || only["http"] {
		want = finalScores(b, msgs)
	}
	for i := 0; i < b.N; i++ {
		var raw, zset, natsRate, httpRate float64
		var rawCPU, zsetCPU, natsCPU, httpCPU phaseCost
		if only["raw"] {
			rawCPU = phase(ctx, "raw", n, func(ctx context.Context) { raw = rawRate(ctx, b, msgs) })
		}
		if only["zset"] {
			zsetCPU = phase(ctx, "zset", n, func(ctx context.Context) { zset = zsetRate(ctx, b, msgs) })
		}
		if only["nats"] {
			natsCPU = phase(ctx, "nats", n, func(ctx context.Context) { natsRate = natsDoor(ctx, b, msgs, want) })
		}
		if only["http"] {
			// The requests are made and signed before the phase, as the
			// other phases' events are (a provider's cost, not the door's).
			batches := signBatches(msgs, httpBatchSize, time.Now())
			httpCPU = phase(ctx, "http", n, func(ctx context.Context) { httpRate = httpDoor(ctx, b, batches, n, want) })
		}

		report := func(ok bool, v float64, unit string) {
			if ok {
				b.ReportMetric(v, unit)
			}
		}
		report(only["raw"], raw, "raw_publish_ev/s")
		report(only["nats"], natsRate, "nats_door_ev/s")
		report(only["http"], httpRate, "http_door_ev/s")
		report(only["nats"] && only["raw"], natsRate/raw, "nats_ratio")
		report(only["http"] && only["raw"], httpRate/raw, "http_ratio")
		report(only["zset"], zset, "zset_consumer_ev/s")
		report(only["nats"] && only["zset"], natsRate/zset, "nats_vs_zset")
		// Process CPU per event of each phase (µs; the sorted-set baseline's
		// Redis work runs in redis-server and is not counted), the GC's share
		// of it, and the peak resident set.
		for _, c := range []struct {
			name string
			cost phaseCost
		}{{"raw", rawCPU}, {"zset", zsetCPU}, {"nats", natsCPU}, {"http", httpCPU}} {
			report(only[c.name], float64(c.cost.cpu.Nanoseconds())/1e3, c.name+"_cpu_us/ev")
			report(only[c.name], float64(c.cost.gc.Nanoseconds())/1e3, c.name+"_gc_us/ev")
			report(only[c.name], float64(c.cost.peakRSS)/(1<<20), c.name+"_rss_MB")
		}
	}
}

// benchPhases is the set of BenchmarkPipeline phases to run, from a comma
// separated RANKSTREAM_BENCH_PHASES (e.g. "nats" for a profile of one door
// whose server goroutines, unlabelled by phase, belong to it alone); empty:
// all four. Ratios are reported only when both of their phases ran.
func benchPhases(env string) map[string]bool {
	all := map[string]bool{"raw": true, "zset": true, "nats": true, "http": true}
	if strings.TrimSpace(env) == "" {
		return all
	}
	only := map[string]bool{}
	for _, p := range strings.Split(env, ",") {
		if p = strings.TrimSpace(p); all[p] {
			only[p] = true
		}
	}
	return only
}

// natsDoor publishes msgs to the NATS door of a fresh pipeline, as a
// provider does (its own connection, user acme), and returns events/s until
// the read model holds every user's final score (want).
func natsDoor(ctx context.Context, b *testing.B, msgs []msg, want map[string]int64) float64 {
	n := len(msgs)
	p := startApp(ctx, b)
	defer p.cleanup()
	a := p.a
	nc, err := nats.Connect(a.Streams.URL(), nats.UserInfo("acme", benchSecret))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4000))
	v := &visibleWaiter{a: a, rd: readmodel.NewReader(p.rdb, p.prefix), want: want, events: uint64(n)}
	start := time.Now()
	pub := publishAll(ctx, b, js, msgs)
	scored, visible, err := v.wait(ctx, start)
	if err != nil {
		b.Fatal(err)
	}
	rate := float64(n) / visible.Seconds()
	b.ReportMetric(float64(n)/pub.Seconds(), "nats_publish_ev/s")
	b.ReportMetric(float64(n)/scored.Seconds(), "nats_scored_ev/s")
	b.ReportMetric(float64(scoresWritten(ctx, a))/float64(n), "nats_scores_per_event")
	return rate
}

// BenchmarkStaleness: at a steady rate of background traffic, a probe event is
// published and the API is polled until the probe user is visible.
func BenchmarkStaleness(b *testing.B) {
	rate := envInt("RANKSTREAM_BENCH_RATE", 10000)
	probes := envInt("RANKSTREAM_BENCH_PROBES", 200)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	for i := 0; i < b.N; i++ {
		p := startApp(ctx, b)
		a := p.a
		lctx, lcancel := context.WithCancel(ctx)
		go loadgen.Run(lctx, loadgen.Options{JS: a.Streams.JS, Rate: float64(rate), Users: 20000, Providers: []string{"acme"}, Seed: 9}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		time.Sleep(2 * time.Second)
		var lat []time.Duration
		client := &http.Client{Timeout: 5 * time.Second}
		for p := 0; p < probes; p++ {
			user := fmt.Sprintf("probe_%d_%d", i, p)
			body := fmt.Sprintf(`{"event_id":"probe-%d-%d","ts":"%s","type":"round_end","user_id":"%s","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":100,"currency":"EUR"},"win":{"amount_minor":500}}`,
				i, p, time.Now().UTC().Format(time.RFC3339Nano), user)
			m := nats.NewMsg("events.acme." + user)
			m.Data = []byte(body)
			if _, err := a.Streams.JS.PublishMsg(ctx, m); err != nil {
				b.Fatal(err)
			}
			acked := time.Now()
			url := "http://" + a.Addr() + "/v1/leaderboards/bench_sum?top=1&me=" + user
			for {
				resp, err := client.Get(url)
				if err == nil {
					var buf [64]byte
					nr, _ := io.ReadFull(resp.Body, buf[:])
					rest, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					full := append(buf[:nr], rest...)
					if resp.StatusCode == 200 && !contains(full, []byte(`"me":null`)) {
						break
					}
				}
				if time.Since(acked) > 10*time.Second {
					b.Fatalf("probe %s never visible", user)
				}
				time.Sleep(2 * time.Millisecond)
			}
			lat = append(lat, time.Since(acked))
			time.Sleep(20 * time.Millisecond)
		}
		lcancel()
		p.cleanup()
		sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99_ms")
		b.ReportMetric(float64(rate), "bg_ev/s")
	}
}

func contains(h, n []byte) bool {
	for i := 0; i+len(n) <= len(h); i++ {
		if string(h[i:i+len(n)]) == string(n) {
			return true
		}
	}
	return false
}
