package etl_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl"
	"github.com/rankstream/rankstream/etl/etltest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

func startStreams(ctx context.Context, t testing.TB, dir string) *streams.Streams {
	t.Helper()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: dir, Partitions: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// runETL runs an ETL in the background; the returned stop cancels it and
// returns Run's error.
func runETL(t testing.TB, opts etl.Options) func() error {
	t.Helper()
	e, err := etl.New(opts, testkit.Logger(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func loadedAccruals(t testing.TB, c driver.Conn) []accRow {
	t.Helper()
	rows, err := c.Query(context.Background(), `SELECT stream_seq, contest, toUnixTimestamp(window_start), division, result, points FROM accruals`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []accRow
	for rows.Next() {
		var r accRow
		var ws uint32
		if err := rows.Scan(&r.Seq, &r.Contest, &ws, &r.Division, &r.Result, &r.Points); err != nil {
			t.Fatal(err)
		}
		r.WindowStart = int64(ws)
		out = append(out, r)
	}
	sortAcc(out)
	return out
}

// tableCounts is what every table must hold: the source counts.
type tableCounts struct{ events, accruals, standings, rewards uint64 }

func (w tableCounts) check(t testing.TB, c driver.Conn) error {
	got := tableCounts{
		events:    etltest.Count(t, c, "SELECT count() FROM events"),
		accruals:  etltest.Count(t, c, "SELECT count() FROM accruals"),
		standings: etltest.Count(t, c, "SELECT count() FROM standings"),
		rewards:   etltest.Count(t, c, "SELECT count() FROM rewards"),
	}
	if got != w {
		return fmt.Errorf("counts %+v, want %+v", got, w)
	}
	return nil
}

// checkExactlyOnce asserts that events holds each stream sequence once and
// accruals equals the recomputation, row for row.
func checkExactlyOnce(t testing.TB, c driver.Conn, cs []*contest.Contest, msgs []aggregator.StoredEvent) {
	t.Helper()
	if n, u := etltest.Count(t, c, "SELECT count() FROM events"), etltest.Count(t, c, "SELECT uniqExact(stream_seq) FROM events"); n != u || n != uint64(len(msgs)) {
		t.Fatalf("events: %d rows, %d distinct stream_seq, %d messages", n, u, len(msgs))
	}
	if n := etltest.Count(t, c, "SELECT count() FROM events WHERE stream_seq < ? OR stream_seq > ?", msgs[0].Seq, msgs[len(msgs)-1].Seq); n != 0 {
		t.Fatalf("%d events outside the stream", n)
	}
	want, got := expectedAccruals(cs, msgs), loadedAccruals(t, c)
	if !reflect.DeepEqual(want, got) {
		for i := 0; i < len(want) && i < len(got); i++ {
			if want[i] != got[i] {
				t.Fatalf("accruals differ at %d: got %+v, want %+v (%d vs %d rows)", i, got[i], want[i], len(got), len(want))
			}
		}
		t.Fatalf("accruals: %d rows, want %d", len(got), len(want))
	}
}

func TestLoadsEveryTableOnceAcrossRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	cs := testContests(t, t0)
	st := startStreams(ctx, t, t.TempDir())
	su, pool, _ := pgSource(ctx, t)
	chURL := etltest.New(t)
	ch := etltest.Connect(t, chURL)
	publishTraffic(ctx, t, st.JS, 1, 3000, t0)
	want := tableCounts{standings: uint64(writeSnapshots(ctx, t, su, "etl_live", "hourly", 3, 200))}
	want.rewards = uint64(writeRewards(ctx, t, su, "etl_live", 100))
	opts := etl.Options{URL: chURL, JS: st.JS, Rules: contest.NewRegistry(cs), DB: pool, BatchRows: 700,
		FlushInterval: 100 * time.Millisecond, PollInterval: 100 * time.Millisecond}
	stop := runETL(t, opts)

	msgs := storedMessages(ctx, t, st.JS)
	want.events, want.accruals = uint64(len(msgs)), uint64(len(expectedAccruals(cs, msgs)))
	testkit.Eventually(t, time.Minute, func() error { return want.check(t, ch) })
	checkExactlyOnce(t, ch, cs, msgs)
	for _, r := range []string{"counted", "ineligible", "outside_window", "duplicate", "late"} {
		if etltest.Count(t, ch, "SELECT count() FROM accruals WHERE result = ?", r) == 0 {
			t.Errorf("no accrual with result %s: the traffic does not cover it", r)
		}
	}
	if etltest.Count(t, ch, "SELECT count() FROM events WHERE valid = 0 AND reason != ''") == 0 {
		t.Error("no invalid event with its reason")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// A restart on the loaded tables repeats nothing and loads what came since.
	publishTraffic(ctx, t, st.JS, 2, 500, t0)
	want.standings += uint64(writeSnapshots(ctx, t, su, "etl_live", "final", 1, 50))
	want.rewards += uint64(writeRewards(ctx, t, su, "etl_past", 10))
	runETL(t, opts)
	msgs = storedMessages(ctx, t, st.JS)
	want.events, want.accruals = uint64(len(msgs)), uint64(len(expectedAccruals(cs, msgs)))
	testkit.Eventually(t, time.Minute, func() error { return want.check(t, ch) })
	checkExactlyOnce(t, ch, cs, msgs)
	if n := etltest.Count(t, ch, "SELECT count() FROM (SELECT snapshot_id, pos FROM standings GROUP BY snapshot_id, pos HAVING count() > 1)"); n != 0 {
		t.Fatalf("%d standings rows twice", n)
	}
	if n := etltest.Count(t, ch, "SELECT toUInt64(count() - uniqExact(history_id)) FROM rewards"); n != 0 {
		t.Fatalf("%d rewards rows twice", n)
	}
}

func TestLayoutMismatchIsReportedNeverDropped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := startStreams(ctx, t, t.TempDir())
	chURL := etltest.New(t)
	ch := etltest.Connect(t, chURL)
	if err := ch.Exec(ctx, "CREATE TABLE accruals (stream_seq UInt64, contest String, points Float64) ENGINE = MergeTree ORDER BY stream_seq"); err != nil {
		t.Fatal(err)
	}
	b, err := ch.PrepareBatch(ctx, "INSERT INTO accruals (stream_seq, contest, points)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint64(1), "mine", 2.5); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	e, err := etl.New(etl.Options{URL: chURL, JS: st.JS, Rules: contest.NewRegistry(nil)}, testkit.Logger(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	err = e.Run(ctx)
	if !errors.Is(err, etl.ErrLayout) {
		t.Fatalf("Run = %v, want ErrLayout", err)
	}
	for _, frag := range []string{"accruals: column points is Float64, want Int64", "accruals: column result is missing"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q does not say %q", err, frag)
		}
	}
	if n := etltest.Count(t, ch, "SELECT count() FROM accruals WHERE contest = 'mine'"); n != 1 {
		t.Fatalf("the existing table lost its row: %d", n)
	}
}

func TestRewardsWaitForTheirTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := startStreams(ctx, t, t.TempDir())
	su, pool, _ := pgSource(ctx, t)
	// A database migrated by an older release, before the rewards stage.
	if _, err := su.Exec(ctx, "DROP TABLE reward_history"); err != nil {
		t.Fatal(err)
	}
	chURL := etltest.New(t)
	ch := etltest.Connect(t, chURL)
	runETL(t, etl.Options{URL: chURL, JS: st.JS, Rules: contest.NewRegistry(nil), DB: pool, PollInterval: 50 * time.Millisecond})
	testkit.Eventually(t, 30*time.Second, func() error {
		if etltest.Count(t, ch, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'rewards'") != 1 {
			return errors.New("no rewards table")
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond) // a few polls against the missing source
	if _, err := su.Exec(ctx, rewardHistoryDDL); err != nil {
		t.Fatal(err)
	}
	n := writeRewards(ctx, t, su, "c1", 40)
	testkit.Eventually(t, 30*time.Second, func() error {
		if got := etltest.Count(t, ch, "SELECT count() FROM rewards"); got != uint64(n) {
			return fmt.Errorf("rewards %d, want %d", got, n)
		}
		return nil
	})
	var pos *int32
	var status string
	if err := ch.QueryRow(ctx, "SELECT pos, status FROM rewards ORDER BY history_id LIMIT 1").Scan(&pos, &status); err != nil {
		t.Fatal(err)
	}
	if pos == nil || *pos != 1 || status != "pending" {
		t.Fatalf("first reward row: pos %v status %q", pos, status)
	}
}
