package contest

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
)

func foldMission(t *testing.T, rate int) *Mission {
	t.Helper()
	m, err := ParseMission("f.yml", []byte(fmt.Sprintf(`id: f
title: F
window: {start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z}
anti_abuse: {max_events_per_user_per_sec: %d}
steps:
  - {id: a, goal: {type: spin_count, count: 4, scope: {games: ["g_*"]}}}
  - {id: d, goal: {type: distinct_games, count: 4}}
  - {id: b, goal: {type: win_multiplier, min: 5}}
  - {id: c, goal: {type: wager_total, amount_minor: 150}}
  - {id: e, goal: {type: distinct_games, count: 3, scope: {games: ["g_*"]}}}
completion_reward: {kind: points, amount: 1}
`, rate)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestUserMissionFold: arrivals at most delay after their ts, in arrival
// order, folded at every arrival up to stream time − delay (mostly not a
// whole second), give exactly the progress and the reports (steps and
// times) of the state never folded; the held candidates shrink; a state
// restored from its checkpoint right after a fold (a kill) goes on alike.
func TestUserMissionFold(t *testing.T) {
	const delay = int64(4e9)
	for _, rate := range []int{0, 2} {
		m := foldMission(t, rate)
		r := rand.New(rand.NewSource(int64(rate) + 3))
		foldedAny := 0
		for trial := 0; trial < 300; trial++ {
			type arrival struct {
				c  MissionCand
				at int64
			}
			var as []arrival
			for i := 0; i < 1+r.Intn(60); i++ {
				c := cand(m, r.Intn(40), fmt.Sprintf("e%02d", i), []string{"g_1", "g_2", "g_3", "g_4", "g_5", "x_1"}[r.Intn(6)],
					int64(r.Intn(40)), float64(r.Intn(8)))
				c.TS += r.Int63n(1e9)
				at := c.TS + r.Int63n(delay+1) // just inside the delay, up to exactly on it
				c.Arrived = at
				as = append(as, arrival{c, at})
			}
			sort.SliceStable(as, func(i, j int) bool { return as[i].at < as[j].at })
			whole, folded := NewUserMission(m), NewUserMission(m)
			var wantRep, gotRep []Completed
			for i, a := range as {
				wantRep = append(wantRep, whole.Add(a.c)...)
				if a.c.TS < folded.FoldedBefore() {
					t.Fatalf("trial %d: arrival %d before the horizon: the test's arrivals are wrong", trial, i)
				}
				gotRep = append(gotRep, folded.Add(a.c)...)
				if n := folded.Fold(a.at - delay); n > 0 {
					foldedAny += n
					back, rest, err := UnmarshalUserMission(m, folded.AppendBinary(nil), true)
					if err != nil || len(rest) != 0 {
						t.Fatalf("trial %d: unmarshal after fold: %v (%d left)", trial, err, len(rest))
					}
					folded = back // the restarted state goes on
				}
				if !reflect.DeepEqual(folded.Progress(), whole.Progress()) {
					t.Fatalf("rate %d trial %d after %d: folded %v, whole %v", rate, trial, i, folded.Progress(), whole.Progress())
				}
			}
			if !reflect.DeepEqual(gotRep, wantRep) || !reflect.DeepEqual(folded.Reported(), whole.Reported()) {
				t.Fatalf("rate %d trial %d: reported %v, whole %v", rate, trial, gotRep, wantRep)
			}
			for _, s := range whole.Reported() {
				if folded.CompletedAt(s) != whole.CompletedAt(s) {
					t.Fatalf("rate %d trial %d: %s completed at %d, whole %d", rate, trial, s, folded.CompletedAt(s), whole.CompletedAt(s))
				}
			}
			if folded.Len() > whole.Len() {
				t.Fatalf("folded holds %d, whole %d", folded.Len(), whole.Len())
			}
		}
		if foldedAny == 0 {
			t.Fatal("nothing folded: the test tests nothing")
		}
	}
}

// TestUserMissionFoldAll: once stream time is past every candidate, nothing
// is held and the progress stays.
func TestUserMissionFoldAll(t *testing.T) {
	m := foldMission(t, 0)
	u := NewUserMission(m)
	for i, g := range []string{"g_1", "g_2", "g_3", "g_4", "g_1", "g_2"} {
		u.Add(cand(m, i, fmt.Sprint("e", i), g, 10, 1))
	}
	want := u.Progress()
	if n := u.Fold(100e9); n != 6 || u.Len() != 0 {
		t.Fatalf("folded %d, holds %d", n, u.Len())
	}
	if !reflect.DeepEqual(u.Progress(), want) {
		t.Fatalf("progress %v, want %v", u.Progress(), want)
	}
	// Step d (distinct games) has g_1, g_2 after the fold: g_2 again does not
	// count, g_3 does.
	u.Add(cand(m, 101, "x", "g_2", 1, 1))
	if p := u.Progress()[1]; p.Progress != 2 {
		t.Fatalf("distinct games after fold: %+v", p)
	}
	u.Add(cand(m, 102, "y", "g_3", 1, 1))
	if p := u.Progress()[1]; p.Progress != 3 {
		t.Fatalf("distinct games after fold: %+v", p)
	}
	if u.FoldedBefore() != 100e9 || u.Fold(99e9) != 0 {
		t.Fatalf("horizon %d", u.FoldedBefore())
	}
}
