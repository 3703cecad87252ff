package aggregator_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

func mustMission(t *testing.T, name, yml string) *contest.Mission {
	t.Helper()
	m, err := contest.ParseMission(name, []byte(yml))
	if err != nil {
		t.Fatalf("mission %s: %v", name, err)
	}
	return m
}

// propertyMissions: every goal type, goal scopes, the rate limit, recurring
// overlapping windows, max_event_delay (with arrivals just inside and just
// past it, which fold during the test: the harness's fold margin is 100ms)
// and a window that closes mid-test.
func propertyMissions(t *testing.T, t0 time.Time) []*contest.Mission {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	return []*contest.Mission{
		mustMission(t, "seq.yml", `id: m_seq
title: Four steps
window: {start: `+f(t0.Add(-2*time.Hour))+`, end: `+f(t0.Add(time.Hour))+`}
lateness: 60s
max_event_delay: 30m
scope: {providers: [acme, beta]}
eligibility: {min_bet_minor: 5}
anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: s1, goal: {type: spin_count, count: 4, scope: {game_types: [slot]}}, reward: {kind: freespins, amount: 10, game: g_1}}
  - {id: s2, goal: {type: win_multiplier, min: 3}, reward: {kind: bonus, amount_minor: 500, currency: EUR}}
  - {id: s3, goal: {type: wager_total, amount_minor: 200}, reward: {kind: cash, amount_minor: 50, currency: EUR}}
  - {id: s4, goal: {type: distinct_games, count: 3, scope: {games: ["g_*"]}}, reward: {kind: points, amount: 7}}
completion_reward: {kind: points, amount: 1000}
auto_grant: true
`),
		mustMission(t, "sched.yml", `id: m_sched
title: Every ten minutes
schedule: {cron: "*/10 * * * *", duration: 15m}
lateness: 2h
steps:
  - {id: a, goal: {type: distinct_games, count: 2}, reward: {kind: points, amount: 1}}
  - {id: b, goal: {type: spin_count, count: 3, scope: {markets: [DE]}}}
completion_reward: {kind: cash, amount_minor: 5, currency: EUR}
claim_window: 1h30m
`),
		mustMission(t, "close.yml", `id: m_close
title: Closing soon
window: {start: `+f(t0.Add(-time.Hour))+`, end: `+f(t0.Add(2*time.Second))+`}
lateness: 1s
steps:
  - {id: x, goal: {type: spin_count, count: 2}, reward: {kind: cash, amount_minor: 1, currency: EUR}}
`),
	}
}

type missionGen struct {
	r     *rand.Rand
	t0    time.Time
	n     int
	users []string
}

func (g *missionGen) event() genEvent {
	g.n++
	prov := []string{"acme", "beta", "gamma"}[g.r.Intn(3)]
	user := g.users[g.r.Intn(len(g.users))]
	id := fmt.Sprintf("mv-%d", g.n)
	var ts time.Time
	switch g.r.Intn(7) {
	case 0: // crowded seconds: the rate limit
		ts = g.t0.Add(-time.Duration(g.r.Intn(3)) * time.Second).Truncate(time.Second).Add(time.Duration(g.r.Intn(1000)) * time.Millisecond)
	case 1: // within a second or two of m_seq's max_event_delay (30m) at arrival:
		// just past it (late), or just inside it and folded soon after
		ts = time.Now().Add(-30*time.Minute + time.Duration(g.r.Int63n(int64(3*time.Second))) - time.Second)
	default: // the last 50 minutes: some older than m_seq's max_event_delay
		ts = g.t0.Add(-time.Duration(g.r.Int63n(int64(50 * time.Minute))))
	}
	bet := []int{0, 5, 10, 40, 80}[g.r.Intn(5)]
	ev := map[string]any{
		"event_id": id, "ts": ts.UTC().Format(time.RFC3339Nano), "type": []string{"spin", "round_end", "bet"}[g.r.Intn(3)],
		"user_id": user,
		"game":    map[string]any{"id": []string{"g_1", "g_2", "g_3", "x_9"}[g.r.Intn(4)], "provider": prov, "type": []string{"slot", "live"}[g.r.Intn(2)]},
		"bet":     map[string]any{"amount_minor": bet, "currency": "EUR"},
		"win":     map[string]any{"amount_minor": bet * g.r.Intn(5)},
	}
	if m := g.r.Intn(3); m < 2 {
		ev["market"] = []string{"DE", "SE"}[m]
	}
	b, _ := json.Marshal(ev)
	return genEvent{provider: prov, user: user, id: id, body: b}
}

func TestMissionsMatchRecomputation(t *testing.T) {
	seeds := []int64{11, 12, 13}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runMissionProperty(t, seed) })
	}
}

func runMissionProperty(t *testing.T, seed int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	ms := propertyMissions(t, t0)
	cs := []*contest.Contest{mustParse(t, "c.yml", `id: c_all
title: Everything
window: {start: `+t0.Add(-2*time.Hour).Format(time.RFC3339)+`, end: `+t0.Add(time.Hour).Format(time.RFC3339)+`}
scoring: {model: wager}
`)}
	dedup := 400 * time.Millisecond
	p := startPipeline(t, cs, streams.Options{Partitions: 4, DedupWindow: dedup})
	p.rules.SetMissions(ms) // before any event is published

	g := &missionGen{r: rand.New(rand.NewSource(seed)), t0: t0}
	for i := 0; i < 15; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	var sent []genEvent
	for i := 0; i < 900; i++ {
		e := g.event()
		sent = append(sent, e)
		p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
	}
	// Duplicates after the JetStream duplicate window, shuffled with new events.
	time.Sleep(dedup + 200*time.Millisecond)
	var mix []genEvent
	for i := 0; i < 200; i++ {
		mix = append(mix, sent[g.r.Intn(len(sent))], g.event())
	}
	g.r.Shuffle(len(mix), func(i, j int) { mix[i], mix[j] = mix[j], mix[i] })
	for _, e := range mix {
		p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
	}
	// After m_close's end + lateness: late for it, counted elsewhere.
	closeEnd := ms[2].Base.Window.End.Add(ms[2].Base.Lateness)
	for time.Now().Before(closeEnd.Add(100 * time.Millisecond)) {
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 100; i++ {
		e := g.event()
		p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
	}
	p.waitSettled(ctx)

	want := oracle.ComputeMissions(ms, p.arrivals(ctx), 30*time.Second)
	if want.Late == 0 || len(want.Rewards) < 20 || len(want.Progress) < 20 {
		t.Fatalf("traffic too thin: late=%d rewards=%d progress=%d", want.Late, len(want.Rewards), len(want.Progress))
	}
	compareMissionProgress(ctx, t, p, ms, want)
	compareMissionRewards(ctx, t, p, ms, want)
}

// compareMissionProgress: the MISSION_PROGRESS bucket (what the API serves)
// holds exactly the recomputed progress of every user mission window.
func compareMissionProgress(ctx context.Context, t *testing.T, p *pipeline, ms []*contest.Mission, want oracle.MissionResult) {
	t.Helper()
	byID := map[string]*contest.Mission{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	kv, err := p.st.JS.KeyValue(ctx, streams.MissionProgressBucket)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var diffs []string
		for k, steps := range want.Progress {
			exp := contest.MissionProgressDoc{Mission: k.Mission, Window: time.Unix(k.Window, 0).UTC().Format(time.RFC3339)}
			for i, s := range steps {
				exp.Steps = append(exp.Steps, contest.StepProgressDoc{ID: s.ID, Done: s.Done, Progress: s.Progress, Target: s.Target})
				exp.RewardReady = exp.RewardReady || (s.Done && byID[k.Mission].Steps[i].Reward != nil)
			}
			if steps[len(steps)-1].Done && byID[k.Mission].Completion != nil {
				exp.RewardReady = true
			}
			got, err := readProgress(ctx, kv, k.Mission, k.Window, k.User)
			if err != nil || !reflect.DeepEqual(got, exp) {
				diffs = append(diffs, fmt.Sprintf("%v: got %+v (%v), want %+v", k, got, err, exp))
			}
		}
		keys, err := kv.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, users := 0, map[string]bool{}
		for k := range want.Progress {
			users[k.User] = true
		}
		for range keys.Keys() {
			n++
		}
		if n != len(users) { // one value per user
			diffs = append(diffs, fmt.Sprintf("%d progress keys, want %d", n, len(users)))
		}
		if len(diffs) == 0 {
			t.Logf("%d user mission windows equal to the recomputation (late=%d)", len(want.Progress), want.Late)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d differences, first: %s", len(diffs), diffs[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// compareMissionRewards: exactly one MISSIONS message per due reward, with
// the reward_id of §7 and the body the brief specifies.
func compareMissionRewards(ctx context.Context, t *testing.T, p *pipeline, ms []*contest.Mission, want oracle.MissionResult) {
	t.Helper()
	byID := map[string]*contest.Mission{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	exp := map[string]contest.MissionRewardMsg{}
	for _, r := range want.Rewards {
		m := byID[r.Key.Mission]
		win := time.Unix(r.Key.Window, 0).UTC().Format(time.RFC3339)
		sum := sha256.Sum256([]byte("mission|" + m.ID + "|" + win + "|" + r.Key.User + "|" + r.Step))
		id := "rw_" + hex.EncodeToString(sum[:])[:32]
		exp[id] = contest.MissionRewardMsg{RewardID: id, Mission: m.ID, Window: win, UserID: r.Key.User, Step: r.Step,
			Reward: m.StepReward(r.Step), AutoGrant: m.AutoGrant, ClaimWindow: map[string]string{"m_sched": "1h30m"}[m.ID],
			CompletedAt: r.Arrived.UTC().Format(time.RFC3339Nano)}
		if e := exp[id]; e.ClaimWindow == "" {
			e.ClaimWindow = "72h"
			exp[id] = e
		}
	}
	got := readMissionMsgs(ctx, t, p, len(exp))
	for id, w := range exp {
		list := got[id]
		if len(list) != 1 {
			t.Errorf("reward %s (%s %s %s): %d messages, want 1", id, w.Mission, w.UserID, w.Step, len(list))
			continue
		}
		if !reflect.DeepEqual(list[0], w) {
			t.Errorf("reward %s:\n got %+v\nwant %+v", id, list[0], w)
		}
	}
	for id, list := range got {
		if _, ok := exp[id]; !ok {
			t.Errorf("unexpected reward message %+v", list[0])
		}
	}
	t.Logf("%d reward messages as recomputed", len(exp))
}

// readMissionMsgs reads the MISSIONS stream (waiting up to 10 s for at least
// n messages) and checks subject and header of each.
func readMissionMsgs(ctx context.Context, t *testing.T, p *pipeline, n int) map[string][]contest.MissionRewardMsg {
	t.Helper()
	s, err := p.st.JS.Stream(ctx, streams.Missions)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(info.State.Msgs) >= n || time.Now().After(deadline) {
			time.Sleep(200 * time.Millisecond) // a few more would be an error: let them land
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	info, _ := s.Info(ctx)
	out := map[string][]contest.MissionRewardMsg{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var body contest.MissionRewardMsg
		if err := json.Unmarshal(m.Data, &body); err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		if m.Subject != "missions."+body.Mission+"."+body.UserID || m.Header.Get("Nats-Msg-Id") != body.RewardID {
			t.Errorf("message %d: subject %s, Nats-Msg-Id %s for %+v", seq, m.Subject, m.Header.Get("Nats-Msg-Id"), body)
		}
		out[body.RewardID] = append(out[body.RewardID], body)
	}
	return out
}

// readProgress reads user's progress document of a mission window as the
// API does: the user's value, then the window's document in it.
func readProgress(ctx context.Context, kv jetstream.KeyValue, mission string, window int64, user string) (contest.MissionProgressDoc, error) {
	var doc contest.MissionProgressDoc
	e, err := kv.Get(ctx, streams.MissionProgressUserKey(user))
	if err != nil {
		return doc, err
	}
	raw, ok, err := contest.UserProgressDoc(e.Value(), mission, time.Unix(window, 0))
	if err == nil && !ok {
		err = fmt.Errorf("no document of %s window %d in %s", mission, window, e.Value())
	}
	if err == nil {
		err = json.Unmarshal(raw, &doc)
	}
	return doc, err
}
