package aggregator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

type missionView struct {
	Doc      contest.MissionProgressDoc
	Reported []string
}

func missionViews(e *aggregator.Engine) map[string]missionView {
	out := map[string]missionView{}
	e.MissionStates(func(m *contest.Mission, win contest.Window, user string, um *contest.UserMission) {
		out[m.ID+"/"+win.Start.String()+"/"+user] = missionView{um.ProgressDoc(win), um.Reported()}
	})
	return out
}

// storedEvents turns generated events into EVENTS messages of partition 0,
// arriving in order one millisecond apart.
func storedEvents(evs []genEvent, firstSeq uint64, t0 time.Time) []aggregator.StoredEvent {
	out := make([]aggregator.StoredEvent, len(evs))
	for i, e := range evs {
		seq := firstSeq + uint64(i)
		out[i] = aggregator.StoredEvent{Subject: "events.0." + e.provider + "." + e.user, Data: e.body, Seq: seq,
			Time: t0.Add(time.Duration(seq) * time.Millisecond)}
	}
	return out
}

// TestMissionCheckpointRoundTrip: a restored partition holds the same
// mission progress and reported steps, reports nothing again, and goes on
// exactly like the engine that was never stopped.
func TestMissionCheckpointRoundTrip(t *testing.T) {
	t0 := time.Now().UTC()
	rules := contest.NewRegistry(nil)
	rules.SetMissions(propertyMissions(t, t0))
	g := &missionGen{r: rand.New(rand.NewSource(5)), t0: t0}
	for i := 0; i < 6; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	var evs []genEvent
	for i := 0; i < 600; i++ {
		evs = append(evs, g.event())
	}
	first, second := storedEvents(evs[:300], 1, t0), storedEvents(evs[300:], 301, t0)
	a := aggregator.NewEngine(rules, 0)
	reported := 0
	for _, se := range first {
		for _, u := range a.Apply(se).Missions.Updates {
			reported += len(u.Done)
		}
	}
	if reported == 0 {
		t.Fatal("no step done before the checkpoint; the test would not test reporting")
	}
	data := a.MarshalPartition(nil, 0, 300)
	b := aggregator.NewEngine(rules, 0)
	covered, err := b.RestorePartition(0, data)
	if err != nil || covered != 300 {
		t.Fatalf("restore: %d, %v", covered, err)
	}
	if va, vb := missionViews(a), missionViews(b); len(va) == 0 || !reflect.DeepEqual(va, vb) {
		t.Fatalf("restored missions differ:\n got %v\nwant %v", vb, va)
	}
	for _, se := range second {
		da, db := a.Apply(se), b.Apply(se)
		for i := range da.Missions.Updates {
			if !reflect.DeepEqual(da.Missions.Updates[i].Done, db.Missions.Updates[i].Done) {
				t.Fatalf("seq %d: restored engine reports %v, original %v", se.Seq, db.Missions.Updates[i].Done, da.Missions.Updates[i].Done)
			}
		}
	}
	if !reflect.DeepEqual(missionViews(a), missionViews(b)) {
		t.Fatal("engines differ after the second half")
	}

	// Other missions in force: the checkpoint is not used.
	other := contest.NewRegistry(nil)
	other.SetMissions(propertyMissions(t, t0)[:1])
	if _, err := aggregator.NewEngine(other, 0).RestorePartition(0, data); !errors.Is(err, aggregator.ErrCheckpointRules) {
		t.Fatalf("restore under other missions: %v, want ErrCheckpointRules", err)
	}
	// Truncated mission state is refused, not half restored.
	if _, err := aggregator.NewEngine(rules, 0).RestorePartition(0, data[:len(data)-3]); !errors.Is(err, aggregator.ErrBadCheckpoint) {
		t.Fatalf("restore of a truncated checkpoint: %v, want ErrBadCheckpoint", err)
	}
}

// TestMissionRestartDoesNotReemit: a scorer restarted from checkpoints that
// cover every completion publishes none of them again; a new completion
// after the restart is published once.
func TestMissionRestartDoesNotReemit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 1, DedupWindow: 200 * time.Millisecond}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms := propertyMissions(t, t0)
	publish := func(e genEvent) {
		p := &pipeline{t: t, st: st}
		p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
	}
	g := &missionGen{r: rand.New(rand.NewSource(9)), t0: t0, users: []string{"u_1", "u_2", "u_3"}}
	for i := 0; i < 300; i++ {
		publish(g.event())
	}
	time.Sleep(300 * time.Millisecond) // past the duplicate window: only the checkpoint prevents re-emission

	run := func(untilCovered uint64, needCkpt bool) (*aggregator.Metrics, func()) {
		rules := contest.NewRegistry(nil)
		rules.SetMissions(ms)
		m := aggregator.NewMetrics(prometheus.NewRegistry())
		var written atomic.Uint64
		sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: 1, Metrics: m,
			CheckpointInterval: 100 * time.Millisecond,
			CheckpointHook: func(_ int, covered uint64, stage string) {
				if stage == "written" {
					written.Store(covered)
				}
			}}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = sc.Run(sctx) }()
		waitFor(t, 20*time.Second, "scorer caught up and checkpointed", func() bool {
			return sc.CaughtUp() && sc.Processed() >= untilCovered && (!needCkpt || written.Load() >= untilCovered)
		}, nil)
		return m, func() { stop(); <-done }
	}
	m1, stop1 := run(300, true)
	stop1()
	n1 := missionMsgCount(ctx, t, st)
	if published := counterValue(m1.Missions.Published); published == 0 || int(published) != n1 {
		t.Fatalf("first run published %v, stream holds %d", published, n1)
	}

	m2, stop2 := run(0, false) // restored: nothing to read, nothing new to checkpoint
	defer stop2()
	if p := counterValue(m2.Missions.Published); p != 0 {
		t.Fatalf("restarted scorer published %v reward messages again", p)
	}
	// A user new to every mission completes m_close's step x (two counted
	// events); the old users' states get events too (a state that forgot what
	// it reported would report it again now).
	for i, user := range []string{"u_new", "u_new", "u_1", "u_2", "u_3"} {
		b, _ := json.Marshal(map[string]any{"event_id": fmt.Sprintf("new-%d", i), "ts": time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano),
			"type": "spin", "user_id": user, "game": map[string]any{"id": "x_9", "provider": "gamma", "type": "live"},
			"bet": map[string]any{"amount_minor": 1, "currency": "EUR"}})
		publish(genEvent{provider: "gamma", user: user, id: fmt.Sprintf("new-%d", i), body: b})
	}
	waitFor(t, 10*time.Second, "the new completion", func() bool { return missionMsgCount(ctx, t, st) > n1 }, nil)
	time.Sleep(300 * time.Millisecond) // let any wrong re-emission land too
	got := readMissionMsgs(ctx, t, &pipeline{t: t, st: st}, 0)
	for id, list := range got {
		if len(list) != 1 {
			t.Errorf("reward %s published %d times", id, len(list))
		}
	}
	if p, n2 := counterValue(m2.Missions.Published), missionMsgCount(ctx, t, st); int(p) != n2-n1 || len(got[contest.MissionRewardID("m_close", ms[2].Base.Window.Start, "u_new", "x")]) != 1 {
		t.Fatalf("restarted scorer published %v messages, stream grew by %d; want only the new completions", p, n2-n1)
	}
}

func missionMsgCount(ctx context.Context, t *testing.T, st *streams.Streams) int {
	s, err := st.JS.Stream(ctx, streams.Missions)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Msgs)
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
