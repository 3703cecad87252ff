package contest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestMissionGoodFiles(t *testing.T) {
	eachFile(t, "testdata/missions/*.good.*", 3, func(t *testing.T, f string, data []byte) {
		if !IsMissionFile(data) {
			t.Errorf("IsMissionFile false")
		}
		m, err := ParseMission(f, data)
		if err != nil {
			t.Fatalf("ParseMission: %v", err)
		}
		if m.ID == "" || m.Title == "" || len(m.Steps) == 0 || m.Base == nil || m.File != f {
			t.Errorf("incomplete mission %+v", m)
		}
		if (m.Base.Window == nil) == (m.Base.Schedule == nil) {
			t.Errorf("want exactly one of Window/Schedule")
		}
	})
}

func TestMissionBadFiles(t *testing.T) {
	eachBadFile(t, "testdata/missions/*.bad.yml", 4, func(t *testing.T, f string, data []byte) error {
		m, err := ParseMission(f, data)
		if err == nil || m != nil {
			t.Fatalf("ParseMission = %+v, %v; want lint errors", m, err)
		}
		return err
	})
}

func TestMissionFullFile(t *testing.T) {
	m, err := ParseMission("h.yml", mustRead(t, "testdata/missions/halloween.good.yml"))
	if err != nil {
		t.Fatal(err)
	}
	b := m.Base
	if b.Lateness != 90*time.Second || m.MaxEventDelay != 2*time.Hour || !m.AutoGrant || m.ClaimWindow != 72*time.Hour {
		t.Errorf("durations/flags: %v %v %v %v", b.Lateness, m.MaxEventDelay, m.AutoGrant, m.ClaimWindow)
	}
	if !reflect.DeepEqual(b.Scope.Markets, []string{"DE", "SE"}) || *b.Eligibility.MinBetMinor != 10 || b.AntiAbuse.MaxEventsPerUserPerSec != 2 {
		t.Errorf("base rules: %+v %+v %+v", b.Scope, b.Eligibility, b.AntiAbuse)
	}
	want := []Step{
		{ID: "s1", Goal: Goal{Type: GoalSpinCount, Count: 50, Scope: Scope{GameTypes: []string{"slot"}}},
			Reward: &MissionReward{Kind: KindFreespins, Amount: 10, Game: "g_66"}},
		{ID: "s2", Goal: Goal{Type: GoalWinMultiplier, Min: 10}, Reward: &MissionReward{Kind: KindBonus, AmountMinor: 500, Currency: "EUR"}},
		{ID: "s3", Goal: Goal{Type: GoalWagerTotal, AmountMinor: 10000}},
		{ID: "s4", Goal: Goal{Type: GoalDistinctGames, Count: 3, Scope: Scope{Games: []string{"g_*"}}},
			Reward: &MissionReward{Kind: KindCash, AmountMinor: 100, Currency: "EUR"}},
	}
	if !reflect.DeepEqual(m.Steps, want) {
		t.Errorf("steps\n got %+v\nwant %+v", m.Steps, want)
	}
	if !reflect.DeepEqual(m.Completion, &MissionReward{Kind: KindPoints, Amount: 1000}) {
		t.Errorf("completion %+v", m.Completion)
	}
	if got := m.Steps[2].Goal.Target(); got != 10000 {
		t.Errorf("wager target %d", got)
	}
}

func TestLoadMissionDirDuplicate(t *testing.T) {
	dir := t.TempDir()
	src := mustRead(t, "testdata/missions/daily.good.yml")
	os.WriteFile(filepath.Join(dir, "a.yml"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "b.yml"), src, 0o644)
	ms, err := LoadMissionDir(dir)
	if len(ms) != 1 || err == nil {
		t.Fatalf("got %d missions, err %v; want 1 and a duplicate error", len(ms), err)
	}
}

func TestMissionRewardID(t *testing.T) {
	// sha256("mission|m_halloween|2025-10-31T00:00:00Z|u_1|s1"), first 16 bytes.
	got := MissionRewardID("m_halloween", time.Date(2025, 10, 31, 2, 0, 0, 0, time.FixedZone("x", 7200)), "u_1", "s1")
	if got != "rw_"+sha32("mission|m_halloween|2025-10-31T00:00:00Z|u_1|s1") || len(got) != 35 {
		t.Errorf("reward id %s", got)
	}
}

func mustRead(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testMission(t *testing.T, rate int) *Mission {
	t.Helper()
	src := fmt.Sprintf(`id: m
title: M
window: {start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z}
anti_abuse: {max_events_per_user_per_sec: %d}
steps:
  - {id: a, goal: {type: spin_count, count: 3, scope: {games: ["g_*"]}}}
  - {id: b, goal: {type: win_multiplier, min: 5}}
  - {id: c, goal: {type: wager_total, amount_minor: 100}}
  - {id: d, goal: {type: distinct_games, count: 2}}
completion_reward: {kind: points, amount: 1}
`, rate)
	m, err := ParseMission("m.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cand(m *Mission, sec int, id, game string, bet int64, mult float64) MissionCand {
	c := MissionCand{TS: int64(sec) * 1e9, EventID: id, Arrived: int64(sec)*1e9 + 5, Bet: bet, Multiplier: mult, Game: game}
	for i := range m.Steps {
		if globMatch(m.Steps[i].Goal.Scope.Games, game) {
			c.Scope |= 1 << uint(i)
		}
	}
	return c
}

func TestUserMissionSequential(t *testing.T) {
	m := testMission(t, 0)
	u := NewUserMission(m)
	var done []string
	add := func(c MissionCand) {
		for _, x := range u.Add(c) {
			done = append(done, x.Step)
		}
	}
	add(cand(m, 1, "e1", "x_1", 60, 9)) // out of step a's scope: counts nowhere
	add(cand(m, 2, "e2", "g_1", 60, 9)) // a 1
	add(cand(m, 3, "e3", "g_1", 60, 9)) // a 2
	add(cand(m, 4, "e4", "g_2", 60, 9)) // a done (counts toward no other)
	add(cand(m, 5, "e5", "g_2", 60, 1)) // b not yet
	add(cand(m, 6, "e6", "g_2", 60, 5)) // b done
	add(cand(m, 7, "e7", "g_3", 60, 0)) // c 60
	add(cand(m, 8, "e8", "g_3", 50, 0)) // c done (110)
	add(cand(m, 9, "e9", "g_3", 1, 0))  // d 1
	if !reflect.DeepEqual(done, []string{"a", "b", "c"}) {
		t.Fatalf("done %v", done)
	}
	want := []StepProgress{{"a", true, 3, 3}, {"b", true, 1, 1}, {"c", true, 100, 100}, {"d", false, 1, 2}}
	if got := u.Progress(); !reflect.DeepEqual(got, want) {
		t.Fatalf("progress %v, want %v", got, want)
	}
	add(cand(m, 10, "e10", "g_3", 1, 0)) // same game: d still 1
	add(cand(m, 11, "e11", "g_4", 1, 0)) // d done, completion
	if !reflect.DeepEqual(done, []string{"a", "b", "c", "d", StepCompletion}) {
		t.Fatalf("done %v", done)
	}
	if got := u.Add(cand(m, 12, "e12", "g_5", 1, 0)); len(got) != 0 {
		t.Errorf("reported again: %v", got)
	}
}

// TestUserMissionOrderIndependent: any arrival order gives the progress of
// the event-time order, and every step done is reported exactly once.
func TestUserMissionOrderIndependent(t *testing.T) {
	for _, rate := range []int{0, 2} {
		m := testMission(t, rate)
		r := rand.New(rand.NewSource(int64(rate) + 7))
		for trial := 0; trial < 200; trial++ {
			var cs []MissionCand
			for i := 0; i < 1+r.Intn(30); i++ {
				cs = append(cs, cand(m, r.Intn(15), fmt.Sprintf("e%02d", i), []string{"g_1", "g_2", "x_1"}[r.Intn(3)],
					int64(r.Intn(40)), float64(r.Intn(8))))
			}
			sorted := NewUserMission(m)
			for _, c := range sortedCands(cs) {
				sorted.Add(c)
			}
			shuffled := NewUserMission(m)
			reported := map[string]int{}
			for _, i := range r.Perm(len(cs)) {
				for _, x := range shuffled.Add(cs[i]) {
					reported[x.Step]++
				}
			}
			if !reflect.DeepEqual(sorted.Progress(), shuffled.Progress()) {
				t.Fatalf("rate %d trial %d: progress %v, in order %v", rate, trial, shuffled.Progress(), sorted.Progress())
			}
			for _, p := range shuffled.Progress() {
				if p.Done && reported[p.ID] != 1 {
					t.Fatalf("step %s done, reported %d times", p.ID, reported[p.ID])
				}
			}
			for s, n := range reported {
				if n != 1 {
					t.Fatalf("step %s reported %d times", s, n)
				}
			}
			// Checkpoint round trip keeps progress and what was reported.
			back, rest, err := UnmarshalUserMission(m, shuffled.AppendBinary(nil), true)
			if err != nil || len(rest) != 0 {
				t.Fatalf("unmarshal: %v (%d left)", err, len(rest))
			}
			if !reflect.DeepEqual(back.Progress(), shuffled.Progress()) || !reflect.DeepEqual(back.Reported(), shuffled.Reported()) {
				t.Fatalf("round trip: %v %v, want %v %v", back.Progress(), back.Reported(), shuffled.Progress(), shuffled.Reported())
			}
		}
	}
}

func sortedCands(cs []MissionCand) []MissionCand {
	out := append([]MissionCand(nil), cs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && mcandLess(&out[j], &out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestUnmarshalUserMissionBad(t *testing.T) {
	m := testMission(t, 0)
	u := NewUserMission(m)
	u.Add(cand(m, 1, "a", "g_1", 1, 1))
	u.Add(cand(m, 2, "b", "g_1", 1, 1))
	data := u.AppendBinary(nil)
	for i := 0; i < len(data); i++ {
		if _, _, err := UnmarshalUserMission(m, data[:i], true); err == nil {
			t.Fatalf("truncated at %d decoded", i)
		}
	}
}

func sha32(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:32]
}

func TestAppendProgressJSON(t *testing.T) {
	m := testMission(t, 0)
	u := NewUserMission(m)
	win := Window{Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	for i, g := range []string{"g_1", "g_2", "g_3", "g_1", "x_1"} {
		u.Add(cand(m, i, fmt.Sprint("e", i), g, 60, float64(i*2)))
		want, _ := json.Marshal(u.ProgressDoc(win))
		if got := u.AppendProgressJSON(nil, win); string(got) != string(want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	}
}

// TestMissionWindowsCached: a mission's window lookups go through the
// window cache, as a contest's do (no cron Next and no slice per event).
func TestMissionWindowsCached(t *testing.T) {
	m, err := ParseMission("d.yml", []byte("id: d\ntitle: d\nschedule: {cron: \"0 */6 * * *\", duration: 6h}\n"+
		"steps:\n  - {id: a, goal: {type: spin_count, count: 5}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Base.win == nil {
		t.Fatal("the mission's base contest has no window cache")
	}
	ts := time.Date(2025, 10, 25, 13, 30, 0, 0, time.UTC)
	got := m.WindowsAt(ts)
	if len(got) != 1 || !got[0].Start.Equal(time.Date(2025, 10, 25, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("windows at %v: %v", ts, got)
	}
	if again := m.WindowsAt(ts); &again[0] != &got[0] {
		t.Error("a second lookup of the same hour was not served from the cache")
	}
}
