package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/etl/etltest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/streams"
)

// TestOnlyETLProcessesShareTheLoad runs the pipeline in one process and the
// etl stage alone (--only etl) in two more on the same NATS: one of them
// loads (the etl lease), and when it stops the other takes over; every
// message is in events once.
func TestOnlyETLProcessesShareTheLoad(t *testing.T) {
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, nil)
	chURL := etltest.New(t)
	ch := etltest.Connect(t, chURL)
	etlProc := func(name string) *app.App {
		return apptest.Start(t, apptest.Env{PostgresURL: env.PostgresURL, StoreDir: t.TempDir(), RedisPrefix: env.RedisPrefix}, nil,
			func(o *app.Options) {
				o.Only = []string{app.StageETL}
				o.Streams = streams.Options{URL: a.Streams.URL(), Partitions: 8}
				o.ClickHouseURL = chURL
				o.Instance = name
				o.LeaseTTL = time.Second
			})
	}
	b, c := etlProc("etl-b"), etlProc("etl-c")
	publish := func(from, n int) {
		for i := from; i < from+n; i++ {
			apptest.Publish(t, a, "acme", fmt.Sprintf("u_%d", i%7), "", apptest.Event(fmt.Sprintf("e%d", i), fmt.Sprintf("u_%d", i%7), "acme", time.Now(), 10, 5, "DE"))
		}
	}
	waitLoaded := func(n uint64) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := etltest.Count(t, ch, "SELECT count() FROM events")
			if got == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("events: %d rows, want %d", got, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	publish(0, 200)
	waitLoaded(200)
	// Stop the process that loads; the other one takes the lease over.
	if b.ETL == nil || c.ETL == nil {
		t.Fatal("etl stage not prepared")
	}
	loader := b
	if etltest.Count(t, ch, "SELECT count() FROM events") > 0 && !leaseHeld(b) {
		loader = c
	}
	loader.Stop()
	publish(200, 100)
	waitLoaded(300)
	if n := etltest.Count(t, ch, "SELECT uniqExact(stream_seq) FROM events"); n != 300 {
		t.Fatalf("%d distinct stream_seq in 300 rows", n)
	}
}

func leaseHeld(a *app.App) bool { return a.ETLLeaseHeld() }
