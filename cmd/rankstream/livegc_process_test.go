package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/internal/testkit"
)

// `rankstream run` runs with the live GC target (aggregator.TuneLiveGC),
// as its own Go metrics report it; an operator's GOGC wins.
func TestRunSetsLiveGC(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	e := newProcEnv(t, false, map[string]string{"g.yml": sumContest("gc_sum", "gc", time.Now().UTC(), "")})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e.ctx = ctx
	defer e.stop()
	for _, c := range []struct {
		name, gogc string
		want       float64
	}{{"tuned", "", aggregator.LiveGCPercent}, {"operator", "200", 200}} {
		cfg := fmt.Sprintf("nats: {port: %d, store_dir: %s}\nredis: {url: %q, prefix: %q}\npostgres: {url: \"\"}\ncontests_dir: %s\nproviders: {acme: gc-secret}\n",
			testkit.FreePort(t), filepath.Join(e.dir, "nats-"+c.name), testkit.RedisURL(), testkit.RedisPrefix(t, "rsgc"), e.contests)
		e.env = []string{"GOGC=" + c.gogc} // empty: not set
		p := e.start(c.name, cfg, "ingest,aggregator,api")
		waitReady(t, p, 60*time.Second)
		// Once the scorer is live: a catch-up raises a lower target while it
		// lasts (catchup_gc.go) and gives it back within its 100 ms tick.
		poll(t, 30*time.Second, c.name+" scorer live", func() bool { return strings.Contains(p.logs.String(), "scorer caught up") })
		poll(t, 30*time.Second, c.name+" GC target", func() bool {
			got, ok := p.metric("go_gc_gogc_percent")
			return ok && got == c.want
		})
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if got, _ := p.metric("go_gc_gogc_percent"); got != c.want {
				t.Fatalf("%s: go_gc_gogc_percent %v once live, want %v", c.name, got, c.want)
			}
		}
		if c.gogc == "" {
			if got, _ := p.metric("go_gc_gomemlimit_bytes"); got <= 0 || got >= 1<<62 {
				t.Errorf("%s: go_gc_gomemlimit_bytes %v, want a soft limit", c.name, got)
			}
		}
	}
}
