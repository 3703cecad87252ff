package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

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
	winStart, win := secondsWindow(now)
	cs := snapshotContests(t, "sh", win)
	env := apptest.NewEnv(t)
	a1 := apptest.Start(t, env, cs, sharedMode("agg1", "", time.Second))
	apps := []*app.App{a1,
		apptest.Start(t, env, cs, sharedMode("agg2", a1.Streams.URL(), time.Second)),
		apptest.Start(t, env, cs, sharedMode("agg3", a1.Streams.URL(), time.Second))}
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
	tr := marketTraffic(t, a1, now, "s", 60)
	tr.run(ctx, 0)
	defer tr.Stop()

	cfg := opsConfig(t, a1, env)
	store := snapshotter.NewStore(a1.DB)
	board := contest.BoardID{Contest: "sh_sum", Window: winStart.Unix(), Division: "DE"}
	verifySnapshotRounds(ctx, t, store, board, cfg, a1.Scorer.Partitions(), tr, "sh_sum", "sh_best")
	tr.Stop()
	checked := verifyEverySnapshot(ctx, t, a1.Streams.JS, store, cs, winStart.Unix())
	if checked < 6 {
		t.Fatalf("only %d snapshots stored", checked)
	}
	t.Logf("%d snapshots, each equal to the replay up to its cut", checked)
}

// verifySnapshotRounds waits three times for a new hourly snapshot of
// board under the traffic tr; each must record a cut of every one of the
// partitions, and replay --verify (ops config cfg) of each contest must
// agree with it.
func verifySnapshotRounds(ctx context.Context, t *testing.T, store *snapshotter.Store, board contest.BoardID, cfg string,
	partitions int, tr *traffic, contests ...string) {
	t.Helper()
	lastSeq := 0
	for round := range 3 {
		poll(t, 60*time.Second, "a new hourly snapshot", func() bool {
			h, err := store.LatestHeader(ctx, board)
			return err == nil && h.BoardSeq > lastSeq
		})
		h, _ := store.LatestHeader(ctx, board)
		lastSeq = h.BoardSeq
		if len(h.EventsCut) != partitions {
			t.Fatalf("round %d: snapshot #%d records no per-partition cut (%v)", round, h.ID, h.EventsCut)
		}
		for _, c := range contests {
			code, out, errOut := runCLI("replay", "--config", cfg, "--contest", c, "--verify", "--no-progress")
			if code != 0 || strings.Contains(out, "DIFF") {
				t.Fatalf("round %d: verify %s (%d events sent): %d\n%s\n%s", round, c, tr.sent(), code, out, errOut)
			}
		}
		t.Logf("round %d: snapshot #%d (events seq %d) verified while %d events were sent", round, h.ID, h.EventsSeq, tr.sent())
	}
}

// verifyEverySnapshot replays the stream up to the cut of every stored
// snapshot of the window and compares the standings hash.
func verifyEverySnapshot(ctx context.Context, t *testing.T, js jetstream.JetStream, store *snapshotter.Store, cs []*contest.Contest, window int64) int {
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
				res, err := replay.Run(ctx, replay.Options{JS: js, Rules: contest.NewRegistry([]*contest.Contest{c}),
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
