package main

import (
	"context"
	"strings"
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
	win := liveWindow(now)
	cs := snapshotContests(t, "cut", win)
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, cs)
	tr := marketTraffic(t, a, now, "c", 50)
	for range 200 {
		tr.one()
	}
	apptest.Settle(t, a)
	// Steady traffic from here on.
	tr.run(ctx, 0)
	defer tr.Stop()
	cfg := opsConfig(t, a, env)
	store := snapshotter.NewStore(a.DB)
	var lastSeq uint64
	for round := range 3 {
		before := tr.sent()
		for tr.sent() < before+100 { // standings changed since the last round
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
					round, c, h.EventsSeq, tr.sent(), code, out, errOut)
			}
		}
		t.Logf("round %d: snapshot at events seq %d verified while %d events were sent", round, h.EventsSeq, tr.sent())
	}
}
