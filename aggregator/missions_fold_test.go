package aggregator_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
)

// foldMissions: every goal type on a long window with max_event_delay 20s
// and a rate limit, and recurring 1-minute windows with max_event_delay 10s.
func foldMissions(t testing.TB, t0 time.Time) []*contest.Mission {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	var out []*contest.Mission
	for name, yml := range map[string]string{"long.yml": `id: mf_long
title: Long
window: {start: ` + f(t0.Add(-time.Hour)) + `, end: ` + f(t0.Add(1000*time.Hour)) + `}
max_event_delay: 20s
anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: s1, goal: {type: spin_count, count: 6, scope: {game_types: [slot]}}, reward: {kind: points, amount: 1}}
  - {id: s2, goal: {type: distinct_games, count: 3}, reward: {kind: points, amount: 2}}
  - {id: s3, goal: {type: win_multiplier, min: 4}}
  - {id: s4, goal: {type: wager_total, amount_minor: 600}, reward: {kind: points, amount: 3}}
  - {id: s5, goal: {type: spin_count, count: 150}}
completion_reward: {kind: points, amount: 9}
`, "rec.yml": `id: mf_rec
title: Every minute
schedule: {cron: "* * * * *", duration: 1m}
lateness: 5s
max_event_delay: 10s
steps:
  - {id: a, goal: {type: distinct_games, count: 2}, reward: {kind: points, amount: 1}}
  - {id: b, goal: {type: spin_count, count: 3}}
completion_reward: {kind: points, amount: 1}
`} {
		m, err := contest.ParseMission(name, []byte(yml))
		if err != nil {
			t.Fatalf("mission %s: %v", name, err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// foldTraffic makes partition-0 events one step of stream time apart; a
// third of them arrive within a second of a mission's max_event_delay after
// their ts (just inside or just past it), a few are duplicates of an older
// event (the same body: its ts).
type foldTraffic struct {
	r     *rand.Rand
	now   time.Time
	step  time.Duration
	users int
	seq   uint64
	sent  [][2]string // subject, body
}

func (g *foldTraffic) next() aggregator.StoredEvent {
	g.seq++
	g.now = g.now.Add(g.step)
	if len(g.sent) > 0 && g.r.Intn(20) == 0 {
		d := g.sent[g.r.Intn(len(g.sent))]
		return aggregator.StoredEvent{Subject: d[0], Data: []byte(d[1]), Seq: g.seq, Time: g.now}
	}
	var ts time.Time
	switch g.r.Intn(6) {
	case 0:
		ts = g.now.Add(-20*time.Second + time.Duration(g.r.Int63n(int64(2*time.Second))) - time.Second)
	case 1:
		ts = g.now.Add(-10*time.Second + time.Duration(g.r.Int63n(int64(2*time.Second))) - time.Second)
	default:
		ts = g.now.Add(-time.Duration(g.r.Int63n(int64(8 * time.Second))))
	}
	user := fmt.Sprintf("u%d", g.r.Intn(g.users))
	bet := []int{0, 5, 10, 40, 80}[g.r.Intn(5)]
	b, _ := json.Marshal(map[string]any{"event_id": fmt.Sprintf("f%d", g.seq), "ts": ts.UTC().Format(time.RFC3339Nano),
		"type": "spin", "user_id": user, "bet": map[string]any{"amount_minor": bet, "currency": "EUR"},
		"win":  map[string]any{"amount_minor": bet * g.r.Intn(6)},
		"game": map[string]any{"id": fmt.Sprintf("g%d", g.r.Intn(5)), "provider": "acme", "type": []string{"slot", "live"}[g.r.Intn(2)]}})
	subj := "events.0.acme." + user
	if len(g.sent) < 5000 {
		g.sent = append(g.sent, [2]string{subj, string(b)})
	} else {
		g.sent[g.r.Intn(len(g.sent))] = [2]string{subj, string(b)}
	}
	return aggregator.StoredEvent{Subject: subj, Data: b, Seq: g.seq, Time: g.now}
}

// TestMissionFoldMatchesRecomputation: with folding on (and the partition
// restored from its checkpoint right after every fold, as after a kill) the
// mission progress and the reported completions are exactly those of an
// engine that never folds and of the recomputation from the contract; the
// folding engine holds fewer candidates.
func TestMissionFoldMatchesRecomputation(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Minute)
	ms := foldMissions(t, t0)
	rules := contest.NewRegistry(nil)
	rules.SetMissions(ms)
	whole := aggregator.NewEngine(rules, 0)
	whole.SetPruning(aggregator.PruneOptions{FoldMargin: 1000 * time.Hour})
	var kills int
	var folding *aggregator.Engine
	killed := false
	opt := aggregator.PruneOptions{FoldMargin: time.Millisecond, Every: 700 * time.Millisecond,
		OnFold: func(int, int) { killed = true }}
	folding = aggregator.NewEngine(rules, 0)
	folding.SetPruning(opt)
	g := &foldTraffic{r: rand.New(rand.NewSource(21)), now: t0, step: 20 * time.Millisecond, users: 12}
	var arrivals []oracle.Arrival
	repWhole, repFold := map[string]string{}, map[string]string{}
	record := func(rep map[string]string, d aggregator.Decision) {
		for _, u := range d.Missions.Updates {
			for _, c := range u.Done {
				k := u.Mission.ID + "/" + u.Window.Start.String() + "/" + u.User + "/" + c.Step
				if _, dup := rep[k]; dup {
					t.Fatalf("%s reported twice", k)
				}
				rep[k] = time.Unix(0, c.Arrived).UTC().String()
			}
		}
	}
	maxWhole, maxFold := 0, 0
	for i := 0; i < 6000; i++ {
		se := g.next()
		arrivals = append(arrivals, oracle.Arrival{Raw: se.Data, Subject: "events.acme." + se.Subject[len("events.0.acme."):], Arrived: se.Time, Seq: se.Seq})
		record(repWhole, whole.Apply(se))
		record(repFold, folding.Apply(se))
		if killed { // a kill right after the fold: restart from the checkpoint
			killed = false
			kills++
			data := folding.MarshalPartition(nil, 0, se.Seq)
			folding = aggregator.NewEngine(rules, 0)
			folding.SetPruning(opt)
			if _, err := folding.RestorePartition(0, data); err != nil {
				t.Fatalf("restore after fold: %v", err)
			}
		}
		if i%500 == 0 {
			_, cw := whole.MissionStateSize()
			_, cf := folding.MissionStateSize()
			maxWhole, maxFold = max(maxWhole, cw), max(maxFold, cf)
		}
	}
	if kills < 10 {
		t.Fatalf("%d folds: the test tests too little", kills)
	}
	if !reflect.DeepEqual(missionViews(folding), missionViews(whole)) {
		t.Fatal("folding engine's progress differs from the whole engine's")
	}
	if !reflect.DeepEqual(repFold, repWhole) {
		t.Fatalf("folding engine reported %d completions, whole %d", len(repFold), len(repWhole))
	}
	want := compareMissionOracle(t, ms, arrivals, missionViews(folding), repFold)
	if maxFold*2 > maxWhole {
		t.Fatalf("folding engine held up to %d candidates, whole %d", maxFold, maxWhole)
	}
	t.Logf("%d folds and restarts, %d mission windows, %d rewards, late %d; candidates held up to %d (whole %d)",
		kills, len(want.Progress), len(want.Rewards), want.Late, maxFold, maxWhole)
}

// compareMissionOracle checks an engine's mission progress (got) and its
// reported completions (rep: key → arrival) against the recomputation.
func compareMissionOracle(t *testing.T, ms []*contest.Mission, arrivals []oracle.Arrival, got map[string]missionView, rep map[string]string) oracle.MissionResult {
	t.Helper()
	want := oracle.ComputeMissions(ms, arrivals, 30*time.Second)
	if want.Late == 0 || len(want.Rewards) < 20 || len(got) != len(want.Progress) {
		t.Fatalf("late=%d rewards=%d, %d mission windows, recomputed %d", want.Late, len(want.Rewards), len(got), len(want.Progress))
	}
	for k, steps := range want.Progress {
		v, ok := got[k.Mission+"/"+time.Unix(k.Window, 0).UTC().String()+"/"+k.User]
		if !ok || len(v.Doc.Steps) != len(steps) {
			t.Fatalf("%v: missing or wrong (%+v)", k, v)
		}
		for i, s := range steps {
			if d := v.Doc.Steps[i]; d.Done != s.Done || d.Progress != s.Progress || d.Target != s.Target {
				t.Fatalf("%v step %s: got %+v, recomputed %+v", k, s.ID, d, s)
			}
		}
	}
	for _, r := range want.Rewards {
		k := r.Key.Mission + "/" + time.Unix(r.Key.Window, 0).UTC().String() + "/" + r.Key.User + "/" + r.Step
		if rep[k] != r.Arrived.UTC().String() {
			t.Fatalf("reward %s: reported at %q, recomputed %s", k, rep[k], r.Arrived.UTC())
		}
	}
	return want
}

// TestMissionStateStopsGrowing: a steady rate on a long mission window and
// on recurring 1-minute mission windows for 40 minutes of stream time: once
// max_event_delay and retention.finished_windows have passed, the mission
// windows held, their candidates and the checkpoint bytes stop growing (the
// mean of the last third of the samples is within 10 % of the first third's).
func TestMissionStateStopsGrowing(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Hour)
	rules := contest.NewRegistry(nil)
	rules.SetMissions(foldMissions(t, t0))
	eng := aggregator.NewEngine(rules, 0)
	freed := map[string]int64{} // mission window → freed at
	g := &foldTraffic{r: rand.New(rand.NewSource(4)), now: t0, step: 100 * time.Millisecond, users: 60}
	eng.SetPruning(aggregator.PruneOptions{FinishedWindows: 2 * time.Minute, FoldMargin: time.Second,
		OnMissionFreed: func(mission string, window int64) { freed[fmt.Sprint(mission, window)] = g.now.Unix() }})
	n := int(40 * time.Minute / g.step)
	horizon := int(6 * time.Minute / g.step) // 20s delay, a 1m window, 5s lateness, 2m retention, with room
	type sample struct{ windows, cands, ckpt int }
	var samples []sample
	for i := 1; i <= n; i++ {
		eng.Apply(g.next())
		if i > horizon && i%int(time.Minute/g.step) == 0 {
			var s sample
			s.windows, s.cands = eng.MissionStateSize()
			s.ckpt = len(eng.MarshalPartition(nil, 0, uint64(i)))
			samples = append(samples, s)
		}
	}
	t.Logf("samples every minute of stream time after the horizon: %+v", samples)
	checkFlat(t, samples, true,
		series[sample]{"mission windows", func(s sample) int { return s.windows }},
		series[sample]{"mission candidates", func(s sample) int { return s.cands }},
		series[sample]{"checkpoint bytes", func(s sample) int { return s.ckpt }})
	// 60 users: one long window each and the recurring windows of the last
	// few minutes, not one per minute of the run.
	if last := samples[len(samples)-1]; last.windows > 60*6 {
		t.Errorf("%d mission windows held: finished windows are not freed", last.windows)
	}
	// Each freed recurring window is reported (its progress keys go).
	if len(freed) < 30 {
		t.Errorf("%d mission windows reported freed over 40 minutes of 1-minute windows", len(freed))
	}
}
