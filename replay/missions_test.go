package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/streams"
)

// TestReplayMissionsEqualLive: a replay computes the mission progress the
// live scorers published, and reports the rewards they sent on MISSIONS.
func TestReplayMissionsEqualLive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	m, err := contest.ParseMission("m.yml", []byte(`id: m_replay
title: Replayed
window: {start: `+f(t0.Add(-100*time.Hour))+`, end: `+f(t0.Add(time.Hour))+`}
max_event_delay: 200h
anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: a, goal: {type: spin_count, count: 5, scope: {games: ["g_*"]}}, reward: {kind: points, amount: 1}}
  - {id: b, goal: {type: wager_total, amount_minor: 300}, reward: {kind: points, amount: 2}}
  - {id: c, goal: {type: distinct_games, count: 3}}
completion_reward: {kind: points, amount: 3}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := apptest.Start(t, apptest.NewEnv(t), propertyContests(t, t0), func(o *app.Options) { o.Missions = []*contest.Mission{m} })
	g := testkit.NewTraffic(3, t0, 20)
	for i := 0; i < 600; i++ {
		e := g.Valid()
		apptest.Publish(t, a, e.Provider, e.User, e.ID, e.Body)
	}
	apptest.Settle(t, a)

	res, err := replay.Run(ctx, replay.Options{JS: a.Streams.JS, Rules: a.Rules})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missions) < 10 {
		t.Fatalf("replay has %d mission states", len(res.Missions))
	}
	kv, err := a.Streams.JS.KeyValue(ctx, streams.MissionProgressBucket)
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs []string
	for _, mp := range res.Missions {
		for _, step := range mp.Rewards {
			wantIDs = append(wantIDs, contest.MissionRewardID(mp.Mission, mp.Window.Start, mp.User, step))
		}
		testkit.Eventually(t, 10*time.Second, func() error {
			live, err := liveProgress(ctx, kv, mp)
			if err != nil || !reflect.DeepEqual(live, mp.Doc) {
				return fmt.Errorf("%s: live %+v (%v), replay %+v", mp.User, live, err, mp.Doc)
			}
			return nil
		})
	}
	if len(wantIDs) == 0 {
		t.Fatal("no rewards reported; the test would not test them")
	}
	gotIDs := missionMsgIDs(ctx, t, a)
	sort.Strings(wantIDs)
	sort.Strings(gotIDs)
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		have := map[string]bool{}
		for _, id := range gotIDs {
			have[id] = true
		}
		for _, mp := range res.Missions {
			for _, step := range mp.Rewards {
				if !have[contest.MissionRewardID(mp.Mission, mp.Window.Start, mp.User, step)] {
					t.Logf("missing %s %s %+v", mp.User, step, mp.Doc)
				}
			}
		}
		t.Fatalf("MISSIONS holds %d rewards, replay reports %d", len(gotIDs), len(wantIDs))
	}
}

// missionMsgIDs lists the Nats-Msg-Id of every message on MISSIONS.
func missionMsgIDs(ctx context.Context, t *testing.T, a *app.App) []string {
	t.Helper()
	s, err := a.Streams.JS.Stream(ctx, streams.Missions)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	info, _ := s.Info(ctx)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get(streams.HeaderMsgID))
	}
	return ids
}

// liveProgress is the scorers' progress document of mp's user and window,
// read as the API reads it (the user's value, then the window's document).
func liveProgress(ctx context.Context, kv jetstream.KeyValue, mp replay.MissionProgress) (contest.MissionProgressDoc, error) {
	var live contest.MissionProgressDoc
	e, err := kv.Get(ctx, streams.MissionProgressUserKey(mp.User))
	if err != nil {
		return live, err
	}
	raw, ok, err := contest.UserProgressDoc(e.Value(), mp.Mission, mp.Window.Start)
	if err == nil && !ok {
		err = fmt.Errorf("no document of %s %v", mp.Mission, mp.Window.Start)
	}
	if err == nil {
		err = json.Unmarshal(raw, &live)
	}
	return live, err
}
