package etl_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl"
	"github.com/rankstream/rankstream/etl/etltest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkLoadVsPlainInsert: the ETL loading N EVENTS messages (events and
// accruals rows, from the stream through the engine) against plain
// clickhouse-go batch inserts of the same rows in the same block size, in
// one run (env RANKSTREAM_BENCH_ETL_EVENTS, default 100000).
func BenchmarkLoadVsPlainInsert(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_ETL_EVENTS", 100000)
	ctx := context.Background()
	t0 := time.Now()
	cs := testContests(b, t0)
	st := startStreams(ctx, b, b.TempDir())
	publishTraffic(ctx, b, st.JS, 3, n, t0)
	msgs := storedMessages(ctx, b, st.JS)
	rows := uint64(len(msgs) + len(expectedAccruals(cs, msgs)))
	for i := 0; i < b.N; i++ {
		chURL := etltest.New(b)
		ch := etltest.Connect(b, chURL)
		if err := etl.Migrate(ctx, chURL); err != nil { // the baseline's tables exist too
			b.Fatal(err)
		}
		start := time.Now()
		stop := runETL(b, etl.Options{URL: chURL, JS: st.JS, Rules: contest.NewRegistry(cs), FlushInterval: 100 * time.Millisecond})
		testkit.Eventually(b, 10*time.Minute, func() error {
			var n uint64
			if err := ch.QueryRow(ctx, "SELECT (SELECT count() FROM events) + (SELECT count() FROM accruals)").Scan(&n); err != nil {
				return err
			}
			if n != rows {
				return fmt.Errorf("loaded %d rows of %d", n, rows)
			}
			return nil
		})
		etlSecs := time.Since(start).Seconds()
		_ = stop()

		plainURL := etltest.New(b)
		pc := etltest.Connect(b, plainURL)
		copyTables(b, ch, pc)
		plainSecs := plainInsert(b, cs, msgs, pc, 20000)
		b.ReportMetric(float64(rows)/etlSecs, "etl_rows/s")
		b.ReportMetric(float64(rows)/plainSecs, "plain_rows/s")
		b.ReportMetric(plainSecs/etlSecs, "ratio")
	}
}

// copyTables creates src's events and accruals tables, empty, in dst.
func copyTables(b *testing.B, src, dst driver.Conn) {
	for _, tbl := range []string{"events", "accruals"} {
		var ddl string
		if err := src.QueryRow(context.Background(), "SHOW CREATE TABLE "+tbl).Scan(&ddl); err != nil {
			b.Fatal(err)
		}
		ddl = replaceDB(ddl, tbl)
		if err := dst.Exec(context.Background(), ddl); err != nil {
			b.Fatal(err)
		}
	}
}

// replaceDB turns "CREATE TABLE db.tbl (" into "CREATE TABLE tbl (".
func replaceDB(ddl, tbl string) string {
	for i := 0; i+len(tbl)+2 < len(ddl); i++ {
		if ddl[i:i+len(tbl)+2] == "."+tbl+" " {
			j := i
			for j > 0 && ddl[j-1] != ' ' {
				j--
			}
			return ddl[:j] + ddl[i+1:]
		}
	}
	return ddl
}

// plainInsert builds the same rows with the same engine beforehand and
// times only the clickhouse-go batch inserts.
func plainInsert(b *testing.B, cs []*contest.Contest, msgs []aggregator.StoredEvent, c driver.Conn, block int) float64 {
	evRows, acRows := etl.RowsForBench(contest.NewRegistry(cs), msgs)
	start := time.Now()
	for _, set := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{{"events", etl.EventColumns(), evRows}, {"accruals", etl.AccrualColumns(), acRows}} {
		for lo := 0; lo < len(set.rows); lo += block {
			hi := min(lo+block, len(set.rows))
			bt, err := c.PrepareBatch(context.Background(), "INSERT INTO "+set.table+" ("+joinCols(set.cols)+")")
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range set.rows[lo:hi] {
				if err := bt.Append(r...); err != nil {
					b.Fatal(err)
				}
			}
			if err := bt.Send(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return time.Since(start).Seconds()
}

func joinCols(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// BenchmarkLagAt10k: lag p99 while loadgen-like traffic arrives at a steady
// rate (env RANKSTREAM_BENCH_ETL_RATE, default 10000/s, for
// RANKSTREAM_BENCH_ETL_SECONDS, default 20).
func BenchmarkLagAt10k(b *testing.B) {
	rate := envInt("RANKSTREAM_BENCH_ETL_RATE", 10000)
	secs := envInt("RANKSTREAM_BENCH_ETL_SECONDS", 20)
	ctx := context.Background()
	t0 := time.Now()
	cs := testContests(b, t0)
	st := startStreams(ctx, b, b.TempDir())
	for i := 0; i < b.N; i++ {
		chURL := etltest.New(b)
		reg := prometheus.NewRegistry()
		e, err := etl.New(etl.Options{URL: chURL, JS: st.JS, Rules: contest.NewRegistry(cs)}, testkit.Logger(), reg)
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		go func() { _ = e.Run(rctx) }()
		var lags []float64
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			end := time.Now().Add(time.Duration(secs) * time.Second)
			for time.Now().Before(end) {
				<-tick.C
				lags = append(lags, gaugeValue(reg, "rankstream_etl_lag_seconds"))
			}
		}()
		pubStart := time.Now()
		sent := publishAtRate(ctx, b, st, rate, secs, t0)
		b.ReportMetric(float64(sent)/time.Since(pubStart).Seconds(), "achieved_ev/s")
		<-done
		cancel()
		sort.Float64s(lags)
		if len(lags) > 0 {
			b.ReportMetric(lags[len(lags)*99/100], "lag_p99_s")
			b.ReportMetric(lags[len(lags)/2], "lag_p50_s")
		}
	}
}

func gaugeValue(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) > 0 {
			return mf.Metric[0].GetGauge().GetValue()
		}
	}
	return 0
}

// publishAtRate publishes valid events at rate per second for secs seconds.
func publishAtRate(ctx context.Context, b *testing.B, st *streams.Streams, rate, secs int, t0 time.Time) int {
	per := rate / 10
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for k := 0; k < secs*10; k++ {
		<-tick.C
		for j := 0; j < per; j++ {
			n++
			user := "u_" + strconv.Itoa(n%500)
			body := []byte(`{"event_id":"r` + strconv.Itoa(n) + `","ts":"` + time.Now().UTC().Format(time.RFC3339Nano) +
				`","type":"round_end","user_id":"` + user + `","market":"DE","game":{"id":"g_1","provider":"acme","type":"slot"},"bet":{"amount_minor":20,"currency":"EUR"},"win":{"amount_minor":10}}`)
			if _, err := st.JS.PublishMsgAsync(&nats.Msg{Subject: event.Subject("acme", user), Data: body}); err != nil {
				b.Fatal(err)
			}
		}
		select { // bound the outstanding publishes to about one tick
		case <-st.JS.PublishAsyncComplete():
		case <-time.After(5 * time.Second):
			b.Fatal("publishes not acked within 5s")
		}
	}
	<-st.JS.PublishAsyncComplete()
	return n
}

// BenchmarkEngineAccruals: the scoring engine with accrual detail on
// against off over the same messages: what emitting accruals from the
// scorer would cost it (the scorer keeps it off; the ETL turns it on).
func BenchmarkEngineAccruals(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_ETL_EVENTS", 100000)
	ctx := context.Background()
	t0 := time.Now()
	cs := testContests(b, t0)
	st := startStreams(ctx, b, b.TempDir())
	publishTraffic(ctx, b, st.JS, 5, n, t0)
	msgs := storedMessages(ctx, b, st.JS)
	run := func(on bool) float64 {
		eng := aggregator.NewEngine(contest.NewRegistry(cs), 0)
		eng.RecordAccruals(on)
		start := time.Now()
		for i := range msgs {
			eng.Apply(msgs[i])
		}
		return time.Since(start).Seconds()
	}
	for i := 0; i < b.N; i++ {
		off, on := run(false), run(true)
		off2 := run(false)
		off = min(off, off2)
		b.ReportMetric(float64(len(msgs))/off, "events/s_off")
		b.ReportMetric(float64(len(msgs))/on, "events/s_on")
		b.ReportMetric(off/on, "ratio")
	}
}
