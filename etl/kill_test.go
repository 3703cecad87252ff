package etl_test

import (
	"context"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl"
	"github.com/rankstream/rankstream/etl/etltest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
)

// The child: an ETL process the kill test starts and SIGKILLs. It is this
// test binary running TestETLChildProcess with the environment below.
const (
	envChild   = "RANKSTREAM_ETL_CHILD"
	envNATS    = "RANKSTREAM_ETL_CHILD_NATS"
	envCH      = "RANKSTREAM_ETL_CHILD_CLICKHOUSE"
	envPG      = "RANKSTREAM_ETL_CHILD_POSTGRES"
	envT0      = "RANKSTREAM_ETL_CHILD_T0"
	killRounds = 12
)

func TestETLChildProcess(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("the kill test's child process")
	}
	ctx := context.Background()
	nc, err := nats.Connect(os.Getenv(envNATS))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := db.OpenApp(ctx, os.Getenv(envPG))
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := strconv.ParseInt(os.Getenv(envT0), 10, 64)
	e, err := etl.New(etl.Options{URL: os.Getenv(envCH), JS: js, Rules: contest.NewRegistry(testContests(t, time.Unix(0, ns))),
		DB: pool, BatchRows: 300, FlushInterval: 30 * time.Millisecond, PollInterval: 30 * time.Millisecond}, testkit.Logger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestExactlyOnceAcrossKill9 loads under traffic while the ETL process is
// SIGKILLed at random moments (mid-batch among them: batches are small and
// inserts constant) and ClickHouse itself is killed and restarted once;
// afterwards every table holds exactly its source.
func TestExactlyOnceAcrossKill9(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 110*time.Second)
	defer cancel()
	t0 := time.Now()
	cs := testContests(t, t0)
	st := startStreams(ctx, t, t.TempDir())
	su, _, pgURL := pgSource(ctx, t)
	srv := etltest.StartServer(t)
	chURL := etltest.NewOn(t, srv.URL())
	publishTraffic(ctx, t, st.JS, 10, 3000, t0)

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestETLChildProcess$", "-test.v")
		cmd.Env = append(os.Environ(), envChild+"=1", envNATS+"="+st.URL(), envCH+"="+chURL, envPG+"="+pgURL,
			envT0+"="+strconv.FormatInt(t0.UnixNano(), 10))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	want := tableCounts{}
	ch := etltest.Connect(t, chURL)
	loaded := func() uint64 {
		var n uint64
		_ = ch.QueryRow(ctx, "SELECT count() FROM events").Scan(&n) // 0 while the table does not exist
		return n
	}
	var progress []uint64
	for i := 0; i < killRounds; i++ {
		cmd := start()
		// Sources keep growing while the ETL runs and dies.
		publishTraffic(ctx, t, st.JS, int64(100+i), 300, t0)
		want.standings += uint64(writeSnapshots(ctx, t, su, "etl_live", "hourly", 1, 400))
		want.rewards += uint64(writeRewards(ctx, t, su, "etl_live", 60))
		if i == killRounds/2 {
			srv.Stop() // ClickHouse down: the ETL waits and retries
			time.Sleep(time.Duration(300+r.Intn(500)) * time.Millisecond)
			srv.Start()
		}
		// Kill while it loads: once this process has added rows, at a
		// random moment (inserts of 300-message blocks run back to back).
		before := uint64(0)
		if len(progress) > 0 {
			before = progress[len(progress)-1]
		}
		for deadline := time.Now().Add(15 * time.Second); loaded() <= before && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(r.Intn(400)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		progress = append(progress, loaded())
	}
	checkProgress(t, progress)
	cmd := start()
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	msgs := storedMessages(ctx, t, st.JS)
	want.events, want.accruals = uint64(len(msgs)), uint64(len(expectedAccruals(cs, msgs)))
	testkit.Eventually(t, 60*time.Second, func() error { return want.check(t, ch) })
	checkExactlyOnce(t, ch, cs, msgs)
	if n := etltest.Count(t, ch, "SELECT count() FROM (SELECT snapshot_id, pos FROM standings GROUP BY snapshot_id, pos HAVING count() > 1)"); n != 0 {
		t.Fatalf("%d standings rows twice", n)
	}
	if n := etltest.Count(t, ch, "SELECT toUInt64(count() - uniqExact(history_id)) FROM rewards"); n != 0 {
		t.Fatalf("%d rewards rows twice", n)
	}
}

// checkProgress asserts that the killed processes did load (the kills hit a
// working ETL) in enough rounds.
func checkProgress(t *testing.T, progress []uint64) {
	t.Helper()
	t.Logf("events rows after each kill: %v", progress)
	moved := 0
	for i := 1; i < len(progress); i++ {
		if progress[i] > progress[i-1] {
			moved++
		}
	}
	if moved < killRounds/3 {
		t.Fatalf("the ETL made progress in only %d of %d rounds: %v", moved, killRounds, progress)
	}
}
