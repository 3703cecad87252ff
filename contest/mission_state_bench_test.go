package contest

import (
	"fmt"
	"math/rand"
	"testing"
)

// benchMissionsOf are a user's mission windows for BenchmarkUserMissionAdd:
// the aggregator benchmark's four-step mission (rate limit 2/s: done within
// seconds, most of the window after it), a wager_total that takes ≈ 1 000
// candidates, and one that no busy user finishes in the window (a long
// spin_count, then distinct_games).
func benchMissionsOf(b *testing.B) []struct {
	name string
	m    *Mission
} {
	mk := func(name, body string) struct {
		name string
		m    *Mission
	} {
		m, err := ParseMission(name+".yml", []byte("id: "+name+"\ntitle: t\nwindow: {start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z}\n"+body))
		if err != nil {
			b.Fatal(err)
		}
		return struct {
			name string
			m    *Mission
		}{name, m}
	}
	return []struct {
		name string
		m    *Mission
	}{
		mk("steps", `anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: s1, goal: {type: spin_count, count: 20, scope: {games: ["g_1*"]}}}
  - {id: s2, goal: {type: win_multiplier, min: 5}}
  - {id: s3, goal: {type: wager_total, amount_minor: 2000}}
  - {id: s4, goal: {type: distinct_games, count: 3}}
`),
		mk("wager", "steps:\n  - {id: a, goal: {type: wager_total, amount_minor: 100000}}\n"),
		mk("long", `steps:
  - {id: a, goal: {type: spin_count, count: 1000000}}
  - {id: b, goal: {type: distinct_games, count: 50}}
`),
	}
}

// BenchmarkUserMissionAdd is the cost of one UserMission.Add (and the folds
// it shares) for the busy user of BenchmarkUserWindowAdd (50 events a
// second, about 125 s of candidates held), by arrival pattern and mission.
func BenchmarkUserMissionAdd(b *testing.B) {
	const rate, n = 50, 50 * 600
	for _, lg := range benchLags {
		b.Run(lg.name, func(b *testing.B) {
			tr := makeBenchUser(n, rate, lg.lag)
			for _, bm := range benchMissionsOf(b) {
				cands := benchMissionCands(bm.m, tr)
				b.Run(bm.name, func(b *testing.B) { benchMissionAdd(b, bm.m, cands, tr.now) })
			}
		})
	}
}

// benchMissionCands turns the contest benchmark's traffic into mission
// candidates: 20 games, bets 0–199, multipliers 0–24.75.
func benchMissionCands(m *Mission, tr benchUser) []MissionCand {
	r := rand.New(rand.NewSource(2))
	out := make([]MissionCand, len(tr.cands))
	for i, cd := range tr.cands {
		c := cand(m, 0, cd.EventID, fmt.Sprintf("g_%d", r.Intn(20)), int64(r.Intn(200)), cd.Multiplier)
		c.TS, c.Arrived = cd.TS, tr.now[i]
		out[i] = c
	}
	return out
}

func benchMissionAdd(b *testing.B, m *Mission, cands []MissionCand, now []int64) {
	n := len(cands)
	b.ReportAllocs()
	cpu0 := cpuNanos()
	u := NewUserMission(m)
	nextFold := int64(0)
	for i := 0; i < b.N; i++ {
		k := i % n
		if k == 0 {
			u, nextFold = NewUserMission(m), now[0]+12e9
		}
		if now[k] >= nextFold {
			u.Fold(now[k] - 125e9)
			nextFold = now[k] + 12e9
		}
		if c := cands[k]; c.TS >= u.FoldedBefore() {
			u.Add(c)
		}
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}
