package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/snapshotter"
	"github.com/rankstream/rankstream/streams"
)

// plainContest is a sum-of-wagers contest without divisions.
func plainContest(t *testing.T, id string) *contest.Contest {
	t.Helper()
	now := time.Now().UTC()
	c, err := contest.Parse(id+".yml", []byte(fmt.Sprintf(`id: %s
title: alone
window: {start: %s, end: %s}
lateness: 90s
scope: {providers: [acme]}
scoring: {model: wager}
leaderboard: {type: sum}
`, id, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNotifierRunsAlone: `--only notifier` in a process of its own pushes
// the live top and ranks of boards ranked by another process, fed by the
// RANKS stream; in single mode and with the work shared (board groups, the
// notifier lease).
func TestNotifierRunsAlone(t *testing.T) {
	for _, mode := range []struct {
		name   string
		ranker func(*app.Options)
		alone  func(*app.Options)
	}{
		{"single", func(*app.Options) {}, func(*app.Options) {}},
		{"shared", func(o *app.Options) { o.Instance, o.BoardGroups, o.LeaseTTL = "na", 2, 2*time.Second },
			func(o *app.Options) { o.Instance, o.LeaseTTL = "nb", 2*time.Second }},
	} {
		t.Run(mode.name, func(t *testing.T) { notifierAlone(t, mode.ranker, mode.alone) })
	}
}

func notifierAlone(t *testing.T, ranker, alone func(*app.Options)) {
	env := apptest.NewEnv(t)
	cs := []*contest.Contest{plainContest(t, "t_alone_n")}
	a := apptest.Start(t, env, cs, func(o *app.Options) {
		o.Only = []string{app.StageIngest, app.StageAggregator, app.StageAPI}
		ranker(o)
	})
	if a.Live.Notifier != nil {
		t.Fatal("the ranking process runs a notifier")
	}
	// The peer's interest comes from the server it shares with a: the
	// automatic fallback (account CONNZ) would race inside nats-server's
	// Connz with a client connecting, both in this one test binary.
	b := startPeer(t, env, a, cs, func(o *app.Options) {
		o.Only = []string{app.StageNotifier}
		o.Live.Interest = &notifier.ServerSource{Server: a.Streams.Server}
		alone(o)
	})
	if b.Live.Notifier == nil || b.Ranker != nil {
		t.Fatal("the notifier process is not a notifier alone")
	}
	nc, err := nats.Connect(a.Streams.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tops := make(chan *nats.Msg, 64)
	ranks := make(chan *nats.Msg, 64)
	if _, err := nc.ChanSubscribe(streams.LiveTopSubject("t_alone_n"), tops); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.ChanSubscribe(streams.LiveUserSubject("t_alone_n", "u_b"), ranks); err != nil {
		t.Fatal(err)
	}
	ts := time.Now().Add(-time.Minute)
	// u_a first and seen: u_b's rank is pushed when u_b changes (the ranking
	// process has no notifier, so no watched users), and u_b is second only
	// if u_a is on the board by then (the two are in different partitions).
	apptest.Publish(t, a, "acme", "u_a", "n1", apptest.Event("n1", "u_a", "acme", ts, 300, 0, "DE"))
	waitMsg(t, tops, func(data []byte) error {
		var m notifier.TopMsg
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		if m.Total != 1 || len(m.Top) != 1 || m.Top[0].User != "u_a" {
			return fmt.Errorf("top %+v", m)
		}
		return nil
	})
	apptest.Publish(t, a, "acme", "u_b", "n2", apptest.Event("n2", "u_b", "acme", ts, 200, 0, "DE"))
	waitMsg(t, tops, func(data []byte) error {
		var m notifier.TopMsg
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		if m.Total != 2 || len(m.Top) != 2 || m.Top[0].User != "u_a" || m.Top[0].Score != 300 || m.Top[1].User != "u_b" {
			return fmt.Errorf("top %+v", m)
		}
		return nil
	})
	waitMsg(t, ranks, func(data []byte) error {
		var m notifier.RankMsg
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		if m.Pos == nil || *m.Pos != 2 || m.Score != 200 {
			return fmt.Errorf("rank %s", data)
		}
		return nil
	})
}

// waitMsg waits for a message on ch that check accepts.
func waitMsg(t *testing.T, ch <-chan *nats.Msg, check func([]byte) error) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var last error = fmt.Errorf("no message")
	for {
		select {
		case m := <-ch:
			if last = check(m.Data); last == nil {
				return
			}
		case <-timeout:
			t.Fatalf("no matching live message: %v", last)
		}
	}
}

// TestSnapshotterRunsAlone: `--only snapshotter` in a process of its own
// (shared scorers in another) writes snapshots whose standings are the
// ranking process's board, cut through the lease bucket. (Alone in single
// mode it is refused: TestImpossibleStageSetsRefused.)
// mode it is refused: TestImpossibleStageSetsRefused.)
func TestSnapshotterRunsAlone(t *testing.T) {
	env := apptest.NewEnv(t)
	cs := []*contest.Contest{plainContest(t, "t_alone_s")}
	a := apptest.Start(t, env, cs, func(o *app.Options) {
		o.Only = []string{app.StageIngest, app.StageAggregator, app.StageAPI}
		// two board groups: the standings are on grouped SCORES subjects,
		// which the snapshotter's own ranker (no groups) reads in full
		o.Instance, o.LeaseTTL, o.BoardGroups = "sa", 2*time.Second, 2
	})
	b := startPeer(t, env, a, cs, func(o *app.Options) {
		o.Only = []string{app.StageSnapshotter}
		o.Instance, o.LeaseTTL, o.SnapshotInterval = "sb", 2*time.Second, 500*time.Millisecond
	})
	if a.Snapshotter != nil || b.Snapshotter == nil || b.Scorer != nil {
		t.Fatal("the snapshotter does not run alone")
	}
	ts := time.Now().Add(-time.Minute)
	for i, u := range []string{"u_a", "u_b", "u_c"} {
		id := fmt.Sprint("s", i)
		apptest.Publish(t, a, "acme", u, id, apptest.Event(id, u, "acme", ts, int64(100*(i+1)), 0, "DE"))
	}
	var bid contest.BoardID
	store := snapshotter.NewStore(b.DB)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ids := a.Ranker.BoardIDs()
		var err error = fmt.Errorf("no board yet")
		if len(ids) == 1 {
			bid = ids[0]
			want := snapshotter.StandingsHash(a.Ranker.Board(bid))
			var h *snapshotter.Header
			h, err = store.LatestHeader(context.Background(), bid)
			switch {
			case err != nil:
			case len(a.Ranker.Board(bid)) != 3:
				err = fmt.Errorf("board has %d entries", len(a.Ranker.Board(bid)))
			case h.StandingsHash != want || h.Entries != 3:
				err = fmt.Errorf("latest snapshot %d entries, hash differs from the board's: %v", h.Entries, h.StandingsHash != want)
			default:
				t.Logf("snapshot %d of %s written by the snapshotter process, events_seq %d", h.ID, bid, h.EventsSeq)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no exact snapshot from the snapshotter process: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
