package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/snapshotter"
)

// TestHourlySnapshotsExactAcrossProcesses (issue 9, "Must show"): three
// `rankstream run --only aggregator,snapshotter` OS processes share the
// partitions (aggregator.instance: auto) of a fourth process's embedded
// NATS server under steady traffic through the NATS door; the ranker lease
// holder takes an hourly snapshot every second (aggregator.snapshot_interval).
// replay --verify agrees with the latest snapshot in three rounds, and every
// stored snapshot equals the replay of the stream up to the per-partition
// cut it records.
func TestHourlySnapshotsExactAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	now := time.Now().UTC()
	winStart, win := secondsWindow(now)
	ymls := snapshotYAML("sp", win)
	e := newProcEnv(t, false, map[string]string{"sum.yml": ymls[0], "best.yml": ymls[1]})
	pg := testkit.Postgres(t)
	natsPort := testkit.FreePort(t)
	common := fmt.Sprintf(`redis: {url: %q, prefix: %q}
postgres: {url: %q}
contests_dir: %s
providers: {acme: sp-secret}
admin_token: sp-admin-token
aggregator: {instance: auto, lease_ttl: 2s, snapshot_interval: 1s}
`, testkit.RedisURL(), testkit.RedisPrefix(t, "rssp"), pg, e.contests)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e.ctx = ctx
	defer e.stop()
	_, external := e.startFront(natsPort, common)
	var aggs []*proc
	for i := range 3 {
		aggs = append(aggs, e.start(fmt.Sprintf("agg%d", i+1), external, "aggregator,snapshotter"))
	}
	for _, p := range aggs {
		waitReady(t, p, 60*time.Second)
	}
	waitShared(t, "three processes share all partitions", aggs...)

	tr := natsMarketTraffic(ctx, t, natsJS(t, natsPort, nats.UserInfo("acme", "sp-secret")), now, 60)
	tr.run(ctx, 0)
	defer tr.Stop()
	store := snapshotter.NewStore(pgPool(ctx, t, pg))
	cfg := filepath.Join(e.dir, "ops.yml")
	ops := fmt.Sprintf("nats: {url: \"nats://127.0.0.1:%d\"}\npostgres: {url: %q}\ncontests_dir: %s\nadmin_token: sp-admin-token\n",
		natsPort, pg, e.contests)
	if err := os.WriteFile(cfg, []byte(ops), 0o644); err != nil {
		t.Fatal(err)
	}
	board := contest.BoardID{Contest: "sp_sum", Window: winStart.Unix(), Division: "DE"}
	verifySnapshotRounds(ctx, t, store, board, cfg, mpPartitions, tr, "sp_sum", "sp_best")
	tr.Stop()
	checked := verifyEverySnapshot(ctx, t, natsJS(t, natsPort, nats.Token("sp-admin-token")), store, snapshotContests(t, "sp", win), winStart.Unix())
	if checked < 6 {
		t.Fatalf("only %d snapshots stored", checked)
	}
	t.Logf("%d snapshots of three aggregator processes, each equal to the replay up to its cut", checked)
}

// natsJS is a JetStream client on the embedded server at port, connected
// as auth says (a provider's user or the operators' admin token).
func natsJS(t *testing.T, port int, auth nats.Option) jetstream.JetStream {
	t.Helper()
	return jsAt(t, fmt.Sprintf("nats://127.0.0.1:%d", port), auth)
}

// natsMarketTraffic is the traffic of marketTraffic (the same events, ids
// p<i>) published through the NATS door with js.
func natsMarketTraffic(ctx context.Context, t *testing.T, js jetstream.JetStream, now time.Time, users int64) *traffic {
	return &traffic{send: func(i int64) {
		id, user := fmt.Sprintf("p%d", i), fmt.Sprintf("u_%d", i%users)
		body := apptest.Event(id, user, "acme", now.Add(-time.Duration(i%3000)*time.Second), 10+i%7, i%13*5, []string{"DE", "SE"}[i%2])
		if _, err := js.PublishMsg(ctx, eventMsg(id, user, body)); err != nil && ctx.Err() == nil {
			t.Errorf("publish %s: %v", id, err)
		}
	}}
}

// pgPool is a pool on url, closed with the test.
func pgPool(ctx context.Context, t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
