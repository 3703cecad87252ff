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
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/snapshotter"
)

// TestHourlySnapshotUnderTrafficIsExact: hourly snapshots taken while events
// keep arriving are exact cuts — the standings they store are exactly the
// replay of the stream up to the sequence they record, so `replay --verify`
// of the live window agrees every time.
func TestHourlySnapshotUnderTrafficIsExact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	now := time.Now().UTC()
	win := fmt.Sprintf("window: {start: %s, end: %s}\n", now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	cs := []*contest.Contest{
		parseContest(t, "id: cut_sum\ntitle: Sum\n"+win+"scoring: {model: wager}\nleaderboard: {type: sum, divisions: market, tiebreakers: [earliest_finish]}\n"),
		parseContest(t, "id: cut_best\ntitle: Best\n"+win+"scoring: {model: win_amount}\nleaderboard: {type: best_n, n: 3}\n"),
	}
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, cs)
	var n atomic.Int64
	send := func() {
		i := n.Add(1)
		user := fmt.Sprintf("u_%d", i%50)
		id := fmt.Sprintf("c%d", i)
		apptest.Publish(t, a, "acme", user, id,
			apptest.Event(id, user, "acme", now.Add(-time.Duration(i%3000)*time.Second), int64(10+i%7), int64(i%13*5), []string{"DE", "SE"}[i%2]))
	}
	for range 200 {
		send()
	}
	apptest.Settle(t, a)
	// Steady traffic from here on.
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
	cfg := opsConfig(t, a, env)
	store := snapshotter.NewStore(a.DB)
	var lastSeq uint64
	for round := range 3 {
		before := n.Load()
		for n.Load() < before+100 { // standings changed since the last round
			time.Sleep(5 * time.Millisecond)
		}
		if err := a.Snapshotter.Hourly(ctx); err != nil {
			t.Fatal(err)
		}
		h, err := store.LatestHeader(ctx, contest.BoardID{Contest: "cut_sum", Window: now.Add(-time.Hour).Truncate(time.Second).Unix(), Division: "DE"})
		if err != nil {
			t.Fatal(err)
		}
		if h.EventsSeq <= lastSeq {
			t.Fatalf("round %d: snapshot covers events seq %d, not after the previous %d", round, h.EventsSeq, lastSeq)
		}
		lastSeq = h.EventsSeq
		for _, c := range []string{"cut_sum", "cut_best"} {
			code, out, errOut := runCLI("replay", "--config", cfg, "--contest", c, "--verify", "--no-progress")
			if code != 0 || strings.Contains(out, "DIFF") {
				t.Fatalf("round %d: verify %s of a snapshot taken under traffic (events seq %d, %d events sent): %d\n%s\n%s",
					round, c, h.EventsSeq, n.Load(), code, out, errOut)
			}
		}
		t.Logf("round %d: snapshot at events seq %d verified while %d events were sent", round, h.EventsSeq, n.Load())
	}
}
