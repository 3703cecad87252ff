package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/snapshotter"
)

// TestSharedHourlySnapshotsAreExact: three aggregator processes share the
// partitions (aggregator.instance) under steady traffic and take hourly
// snapshots every second (the ranker lease holder does). Every snapshot
// taken is the exact replay of the stream up to the per-partition cut it
// records: replay --verify agrees on the latest each round, and a replay of
// every stored snapshot equals its standings hash.
func TestSharedHourlySnapshotsAreExact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	now := time.Now().UTC()
	winStart := now.Add(-time.Hour).Truncate(time.Second)
	win := fmt.Sprintf("window: {start: %s, end: %s}\n", winStart.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	cs := []*contest.Contest{
		parseContest(t, "id: sh_sum\ntitle: Sum\n"+win+"scoring: {model: wager}\nleaderboard: {type: sum, divisions: market, tiebreakers: [earliest_finish]}\n"),
		parseContest(t, "id: sh_best\ntitle: Best\n"+win+"scoring: {model: win_amount}\nleaderboard: {type: best_n, n: 3}\n"),
	}
	env := apptest.NewEnv(t)
	shared := func(name, url string) func(*app.Options) {
		return func(o *app.Options) {
			o.Instance, o.LeaseTTL, o.SnapshotInterval = name, 2*time.Second, time.Second
			if url != "" {
				o.Streams.URL = url
			}
		}
	}
	a1 := apptest.Start(t, env, cs, shared("agg1", ""))
	apps := []*app.App{a1,
		apptest.Start(t, env, cs, shared("agg2", a1.Streams.URL())),
		apptest.Start(t, env, cs, shared("agg3", a1.Streams.URL()))}
	poll(t, 30*time.Second, "three processes share the partitions", func() bool {
		total := 0
		for _, a := range apps {
			n := len(a.Scorer.Owned())
			if n == 0 {
				return false
			}
			total += n
		}
		return total == a1.Scorer.Partitions()
	})
	var n atomic.Int64
	send := func() {
		i := n.Add(1)
		user := fmt.Sprintf("u_%d", i%60)
		id := fmt.Sprintf("s%d", i)
		apptest.Publish(t, a1, "acme", user, id,
			apptest.Event(id, user, "acme", now.Add(-time.Duration(i%3000)*time.Second), int64(10+i%7), int64(i%13*5), []string{"DE", "SE"}[i%2]))
	}
	tctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for tctx.Err() == nil {
			send()
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() { stop(); wg.Wait() }()

	cfg := opsConfig(t, a1, env)
	store := snapshotter.NewStore(a1.DB)
	board := contest.BoardID{Contest: "sh_sum", Window: winStart.Unix(), Division: "DE"}
	lastSeq := 0
	for round := range 3 {
		poll(t, 30*time.Second, "a new hourly snapshot", func() bool {
			h, err := store.LatestHeader(ctx, board)
			return err == nil && h.BoardSeq > lastSeq
		})
		h, _ := store.LatestHeader(ctx, board)
		lastSeq = h.BoardSeq
		if len(h.EventsCut) != a1.Scorer.Partitions() {
			t.Fatalf("round %d: snapshot #%d records no per-partition cut (%v)", round, h.ID, h.EventsCut)
		}
		for _, c := range []string{"sh_sum", "sh_best"} {
			code, out, errOut := runCLI("replay", "--config", cfg, "--contest", c, "--verify", "--no-progress")
			if code != 0 || strings.Contains(out, "DIFF") {
				t.Fatalf("round %d: verify %s (%d events sent): %d\n%s\n%s", round, c, n.Load(), code, out, errOut)
			}
		}
		t.Logf("round %d: snapshot #%d (events seq %d) verified while %d events were sent", round, h.ID, h.EventsSeq, n.Load())
	}
	stop()
	wg.Wait()
	checked := verifyEverySnapshot(ctx, t, a1, store, cs, winStart.Unix())
	if checked < 6 {
		t.Fatalf("only %d snapshots stored", checked)
	}
	t.Logf("%d snapshots, each equal to the replay up to its cut", checked)
}

// verifyEverySnapshot replays the stream up to the cut of every stored
// snapshot of the window and compares the standings hash.
func verifyEverySnapshot(ctx context.Context, t *testing.T, a *app.App, store *snapshotter.Store, cs []*contest.Contest, window int64) int {
	t.Helper()
	checked := 0
	for _, c := range cs {
		divs, err := store.Divisions(ctx, c.ID, window)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range divs {
			id := contest.BoardID{Contest: c.ID, Window: window, Division: d}
			hs, err := store.Headers(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				res, err := replay.Run(ctx, replay.Options{JS: a.Streams.JS, Rules: contest.NewRegistry([]*contest.Contest{c}),
					Contest: c.ID, Window: window, HasWindow: true, UpTo: h.EventsSeq, Keep: replay.KeepCut(h.EventsCut)})
				if err != nil {
					t.Fatal(err)
				}
				if got := snapshotter.StandingsHash(res.Boards[id]); got != h.StandingsHash {
					t.Errorf("snapshot #%d of %s/%s (cut %v): replay differs", h.ID, c.ID, d, h.EventsCut)
				}
				checked++
			}
		}
	}
	return checked
}
