package replay_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/snapshotter"
)

func adminPost(t *testing.T, a *app.App, path string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+a.Addr()+path, nil)
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
}

// TestReplayEqualsLive sends random traffic (duplicates, invalid events, a
// freeze and an unfreeze of one contest in the middle) through the live
// pipeline, then replays the stream: every board must hash the same as the
// ranker's, and as the final snapshot the snapshotter writes of it.
func TestReplayEqualsLive(t *testing.T) {
	seeds := []int64{7, 8}
	if testing.Short() {
		seeds = seeds[:1]
	}
	// The live scorer in both modes (one lane over the stream; partition
	// leases with a lane per partition); replay reads through the same Lane.
	modes := []struct {
		name     string
		instance string
	}{{"single", ""}, {"shared", "replay-live"}}
	for _, m := range modes {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", m.name, seed), func(t *testing.T) { replayEqualsLive(t, m.instance, seed) })
		}
	}
}

func replayEqualsLive(t *testing.T, instance string, seed int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	a := apptest.Start(t, apptest.NewEnv(t), propertyContests(t, t0), func(o *app.Options) {
		if instance != "" {
			o.Instance, o.LeaseTTL = instance, time.Second
		}
	})
	g := testkit.NewTraffic(seed, t0, 30)
	var sent []testkit.Event
	const n = 900
	for i := 0; i < n; i++ {
		switch {
		case i == n/3:
			adminPost(t, a, "/v1/admin/contests/p_sum/freeze")
		case i == 2*n/3:
			adminPost(t, a, "/v1/admin/contests/p_sum/unfreeze")
		}
		e := g.Valid()
		if i%25 == 0 {
			e = g.Invalid()
		}
		if i%10 == 0 && len(sent) > 0 { // a duplicate with a fresh Nats-Msg-Id
			d := sent[g.R.Intn(len(sent))]
			apptest.Publish(t, a, d.Provider, d.User, d.ID+"-again", d.Body)
		}
		apptest.Publish(t, a, e.Provider, e.User, e.ID, e.Body)
		sent = append(sent, e)
	}
	apptest.Settle(t, a)

	res, err := replay.Run(ctx, replay.Options{JS: a.Streams.JS, Rules: a.Rules})
	if err != nil {
		t.Fatal(err)
	}
	ids := a.Ranker.BoardIDs()
	if len(ids) < 5 || len(res.Boards) != len(ids) {
		t.Fatalf("live has %d boards, replay %d", len(ids), len(res.Boards))
	}
	for _, id := range ids {
		live := a.Ranker.Board(id)
		got := res.Boards[id]
		if cp, _ := a.Ranker.BoardCopy(id); snapshotter.StandingsHash(cp) != snapshotter.StandingsHash(live) {
			t.Errorf("board %+v: BoardCopy differs from Board", id)
		}
		lh, rh := snapshotter.StandingsHash(live), snapshotter.StandingsHash(got)
		if lh != rh {
			t.Errorf("board %+v: live %d entries %s, replay %d entries %s", id, len(live), hex.EncodeToString(lh[:8]),
				len(got), hex.EncodeToString(rh[:8]))
		}
	}
	// One contest window written as final, then replayed against it.
	c := a.Rules.Get("p_best")
	w, _ := c.CurrentWindow(time.Now())
	hs, err := a.Snapshotter.FinalizeWindow(ctx, c.ID, w.Key())
	if err != nil || len(hs) != 1 {
		t.Fatalf("finalize: %v %v", hs, err)
	}
	one, err := replay.Run(ctx, replay.Options{JS: a.Streams.JS, Rules: a.Rules, Contest: c.ID, Window: w.Key(), HasWindow: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Boards) != 1 || snapshotter.StandingsHash(one.Boards[hs[0].Board]) != hs[0].StandingsHash {
		t.Fatalf("final snapshot %x differs from the replay", hs[0].StandingsHash[:8])
	}
	if hs[0].EventsSeq != res.LastSeq {
		t.Errorf("final snapshot covers events seq %d, stream ends at %d", hs[0].EventsSeq, res.LastSeq)
	}
}
