package contest

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// replayMissions are missions whose steps take many candidates (long runs
// of one step before the insertion point), with every goal type, goal
// scopes and rate limits 0–3; the first completes in a few candidates, so
// most of its window is after the completion.
func replayMissions(t *testing.T) []*Mission {
	t.Helper()
	out := []*Mission{foldMission(t, 0), foldMission(t, 2)}
	for _, rate := range []int{0, 1, 3} {
		m, err := ParseMission("r.yml", []byte(fmt.Sprintf(`id: r
title: R
window: {start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z}
anti_abuse: {max_events_per_user_per_sec: %d}
steps:
  - {id: a, goal: {type: spin_count, count: 30, scope: {games: ["g_*"]}}}
  - {id: d, goal: {type: distinct_games, count: 6}}
  - {id: c, goal: {type: wager_total, amount_minor: 900}}
  - {id: b, goal: {type: win_multiplier, min: 7}}
  - {id: e, goal: {type: distinct_games, count: 5, scope: {games: ["g_*"]}}}
  - {id: f, goal: {type: spin_count, count: 200}}
completion_reward: {kind: points, amount: 1}
`, rate)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

var replayGames = []string{"g_1", "g_2", "g_3", "g_4", "g_5", "g_6", "x_1", "x_2", "x_3"}

// missionTraffic makes n candidates of one user in arrival order, 10 per
// second of stream time (the rate limit), ties in ts (then the event ids,
// not in arrival order, decide); games mostly a favourite, so that a
// distinct_games step takes many candidates.
func missionTraffic(r *rand.Rand, m *Mission, n int, lag func(*rand.Rand) int64) (cands []MissionCand, now []int64) {
	ids := r.Perm(n)
	for i := 0; i < n; i++ {
		t := 1e12 + int64(i)*1e8
		g := replayGames[0]
		if r.Intn(4) == 0 {
			g = replayGames[r.Intn(len(replayGames))]
		}
		c := cand(m, 0, fmt.Sprintf("e%05d", ids[i]), g, int64(r.Intn(30)), float64(r.Intn(9)))
		c.TS, c.Arrived = (t-lag(r))/5e7*5e7, t
		if r.Intn(200) == 0 {
			c.Bet = math.MaxInt64 / 2 // wager_total saturates
		}
		cands, now = append(cands, c), append(now, t)
	}
	return cands, now
}

// Whatever the arrival order (in order, 0–2 s jitter, far late, around the
// fold horizon, shuffled), with folds and checkpoint round trips on the way,
// a mission window that recomputes from the insertion point reports after
// every arrival exactly the completions of one that recomputes everything
// (and folds by recomputing), holds the same progress, the same counted
// candidates and, before each, the state the full recompute passes through,
// and ends with the progress of the candidates added in event-time order.
func TestUserMissionReplayExact(t *testing.T) {
	for mi, m := range replayMissions(t) {
		for _, arr := range markArrivals {
			for seed := int64(0); seed < 3; seed++ {
				name := fmt.Sprintf("mission%d/%s/seed%d", mi, arr.name, seed)
				r := rand.New(rand.NewSource(seed))
				cands, now := missionTraffic(r, m, 500, arr.lag)
				checkMissionReplay(t, name, m, cands, now, arr.maxLag, arr.fold, r)
			}
		}
	}
}

func checkMissionReplay(t *testing.T, name string, m *Mission, cands []MissionCand, now []int64, maxLag int64, fold bool, r *rand.Rand) {
	t.Helper()
	got, ref := NewUserMission(m), NewUserMission(m)
	for i, c := range cands {
		if c.TS < got.FoldedBefore() {
			t.Fatalf("%s step %d: the traffic breaks the fold guarantee", name, i)
		}
		gotC, refC := got.Add(c), addFull(ref, c)
		if !reflect.DeepEqual(gotC, refC) {
			t.Fatalf("%s step %d: completions %+v, want %+v", name, i, gotC, refC)
		}
		if fold && r.Intn(5) == 0 {
			if a, b := got.Fold(now[i]-maxLag), foldFull(ref, now[i]-maxLag); a != b {
				t.Fatalf("%s step %d: folded %d, want %d", name, i, a, b)
			}
		}
		if r.Intn(50) == 0 {
			var err error
			if got, _, err = UnmarshalUserMission(m, got.AppendBinary(nil), true); err != nil {
				t.Fatalf("%s step %d: decode: %v", name, i, err)
			}
		}
		sameMissionState(t, fmt.Sprintf("%s step %d", name, i), got, ref)
	}
	inOrder := slices.Clone(cands)
	slices.SortFunc(inOrder, func(a, b MissionCand) int {
		if mcandLess(&a, &b) {
			return -1
		}
		return 1
	})
	want := NewUserMission(m)
	for _, c := range inOrder {
		want.Add(c)
	}
	if !reflect.DeepEqual(got.Progress(), want.Progress()) {
		t.Fatalf("%s: final %+v, in order %+v", name, got.Progress(), want.Progress())
	}
}

// sameMissionState compares everything derived: progress, the games and
// step completion times, the reports, the summary, and per candidate its
// outcome and the state before it.
func sameMissionState(t *testing.T, name string, got, ref *UserMission) {
	t.Helper()
	before := fullRecompute(ref)
	switch {
	case got.cur != ref.cur || got.prog != ref.prog || !reflect.DeepEqual(gameList(got.games), gameList(ref.games)):
		t.Fatalf("%s: state %d %d %v, want %d %d %v", name, got.cur, got.prog, gameList(got.games), ref.cur, ref.prog, gameList(ref.games))
	// (a checkpoint keeps the folded steps' report times only: they were reported)
	case !slices.Equal(got.doneAt[got.fold.cur:got.cur], ref.doneAt[got.fold.cur:ref.cur]) || !slices.Equal(got.emittedAt, ref.emittedAt):
		t.Fatalf("%s: done at %v / %v, want %v / %v", name, got.doneAt, got.emittedAt, ref.doneAt, ref.emittedAt)
	case got.emitted != ref.emitted || got.emittedDone != ref.emittedDone:
		t.Fatalf("%s: reported %v, want %v", name, got.Reported(), ref.Reported())
	case !reflect.DeepEqual(got.fold, ref.fold):
		t.Fatalf("%s: summary %+v, want %+v", name, got.fold, ref.fold)
	case got.Len() != ref.Len():
		t.Fatalf("%s: %d candidates, want %d", name, got.Len(), ref.Len())
	}
	for j := range got.events {
		x, y := &got.events[j], &ref.events[j]
		if x.EventID != y.EventID || x.counted != y.counted || x.step != before[j].step || x.prog != before[j].prog {
			t.Fatalf("%s: candidate %d %s counted %v before %d/%d, want %s %v %d/%d", name, j,
				x.EventID, x.counted, x.step, x.prog, y.EventID, y.counted, before[j].step, before[j].prog)
		}
	}
}

// addFull is Add as it was: insert, then recompute the whole window.
func addFull(u *UserMission, c MissionCand) []Completed {
	i := sort.Search(len(u.events), func(i int) bool { return mcandLess(&c, &u.events[i]) })
	u.events = slices.Insert(u.events, i, c)
	fullRecompute(u)
	return u.collect()
}

// foldFull is Fold as it was: the state after the prefix from a recompute
// of the prefix alone, then a recompute of what is left.
func foldFull(u *UserMission, upTo int64) int {
	k := u.foldPoint(upTo)
	if k == 0 {
		return 0
	}
	all := u.events
	u.events = all[:k]
	fullRecompute(u)
	u.fold.cur, u.fold.prog, u.fold.games = u.cur, u.prog, gameList(u.games)
	u.events = append([]MissionCand(nil), all[k:]...)
	fullRecompute(u)
	return k
}

type stateBefore struct {
	step uint8
	prog int64
}

// fullRecompute derives u's progress from its summary and every candidate
// (written apart from replayFrom: per-second counts for the rate limit,
// apply for §7's step) and returns the state before each candidate. It
// does not read or write MissionCand.step/.prog.
func fullRecompute(u *UserMission) []stateBefore {
	u.cur, u.prog, u.games = u.fold.cur, u.fold.prog, map[string]struct{}{}
	for _, g := range u.fold.games {
		u.games[g] = struct{}{}
	}
	m := u.m.Base.AntiAbuse.MaxEventsPerUserPerSec
	out := make([]stateBefore, len(u.events))
	perSec := map[int64]int{}
	for i := range u.events {
		e := &u.events[i]
		out[i] = stateBefore{uint8(u.cur), u.prog}
		sec := floorDiv(e.TS, 1e9)
		e.counted = m == 0 || perSec[sec] < m
		if !e.counted {
			continue
		}
		perSec[sec]++
		u.apply(e)
	}
	return out
}

// An arrival in order and one a few candidates out of order allocate
// nothing once the window's slice and games set exist (a step that
// completes allocates its report).
func TestUserMissionAddAllocs(t *testing.T) {
	m, err := ParseMission("a.yml", []byte(`id: a
title: A
window: {start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z}
anti_abuse: {max_events_per_user_per_sec: 3}
steps:
  - {id: a, goal: {type: spin_count, count: 2}}
  - {id: b, goal: {type: distinct_games, count: 1000}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, back := range []int64{0, 3e8} {
		u := NewUserMission(m)
		u.events = make([]MissionCand, 0, 4096)
		ids := make([]string, 1100)
		for j := range ids {
			ids[j] = fmt.Sprintf("e%04d", j)
		}
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			i++
			c := MissionCand{TS: 1e12 + int64(i)*1e8, EventID: ids[i], Game: replayGames[i%3], Scope: 3}
			if i%2 == 0 {
				c.TS -= back
			}
			u.Add(c)
		})
		if allocs != 0 || u.cur != 1 || u.prog != 3 {
			t.Fatalf("ts back %d: %v allocations per Add (step %d, progress %d)", back, allocs, u.cur, u.prog)
		}
	}
}
