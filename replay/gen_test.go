package replay_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Random traffic, after aggregator/property_test.go: every board type,
// divisions, caps, the rate limit, recurring windows, lateness, bonus funds,
// invalid events and duplicates.

func mustParse(t *testing.T, name, yml string) *contest.Contest {
	t.Helper()
	c, err := contest.Parse(name, []byte(yml))
	if err != nil {
		t.Fatalf("contest %s: %v", name, err)
	}
	return c
}

func propertyContests(t *testing.T, t0 time.Time) []*contest.Contest {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	long := fmt.Sprintf("window: {start: %s, end: %s}\n", f(t0.Add(-96*time.Hour)), f(t0.Add(time.Hour)))
	return []*contest.Contest{
		mustParse(t, "sum.yml", `id: p_sum
title: Sum with caps
`+long+`lateness: 60s
max_event_delay: 100h
scope: {providers: [acme, beta]}
eligibility: {min_bet_minor: 10}
scoring: {formula: "min(multiplier, 5) * 10", bonus_coefficient: 0.5, cap_per_event: 40, cap_per_user_per_day: 100}
leaderboard: {type: sum, tiebreakers: [highest_single_multiplier, fewest_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 2}
`),
		mustParse(t, "best.yml", `id: p_best
title: Best 3
`+long+`lateness: 60s
max_event_delay: 100h
eligibility: {event_types: [round_end, spin], min_round_duration_ms: 500, exclude_asn: [hosting]}
scoring: {model: wager, cap_per_event: 30}
leaderboard: {type: best_n, n: 3, tiebreakers: [earliest_finish, most_rounds]}
`),
		mustParse(t, "max.yml", `id: p_max
title: Max per market
`+long+`lateness: 60s
max_event_delay: 100h
scope: {markets: [DE, SE], games: ["g_*"]}
scoring: {model: multiplier_log, bonus_coefficient: 0}
leaderboard: {type: max, order: asc, divisions: market, tiebreakers: [earliest_finish]}
`),
		mustParse(t, "daily.yml", `id: p_daily
title: Six-hourly Kyiv
schedule: {cron: "0 */6 * * *", duration: 6h, tz: Europe/Kyiv}
lateness: 120h
max_event_delay: 100h
scoring: {formula: "floor(win / 10) + 1", cap_per_user_per_day: 50}
leaderboard: {type: sum}
`),
	}
}

type genEvent struct {
	provider, user, id string
	body               []byte
}

type gen struct {
	r     *rand.Rand
	t0    time.Time
	n     int
	users []string
}

func newGen(seed int64, t0 time.Time, users int) *gen {
	g := &gen{r: rand.New(rand.NewSource(seed)), t0: t0}
	for i := 0; i < users; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	return g
}

func (g *gen) event() genEvent {
	g.n++
	prov := []string{"acme", "beta", "gamma"}[g.r.Intn(3)]
	user := g.users[g.r.Intn(len(g.users))]
	id := fmt.Sprintf("ev-%d", g.n)
	var ts time.Time
	switch g.r.Intn(10) {
	case 0:
		ts = g.t0.Add(-time.Duration(g.r.Intn(3)) * time.Second).Truncate(time.Second).Add(time.Duration(g.r.Intn(1000)) * time.Millisecond)
	case 1:
		ts = g.t0.Add(time.Duration(g.r.Intn(5)) * time.Second)
	default:
		ts = g.t0.Add(-time.Duration(g.r.Int63n(int64(95 * time.Hour))))
	}
	bet := []int{0, 5, 10, 20, 50, 100}[g.r.Intn(6)]
	win := 0
	if g.r.Intn(2) == 0 {
		win = bet * g.r.Intn(8)
	}
	ev := map[string]any{
		"event_id": id, "ts": ts.UTC().Format(time.RFC3339Nano),
		"type":    []string{"round_end", "round_end", "spin", "bet", "win"}[g.r.Intn(5)],
		"user_id": user,
		"game":    map[string]any{"id": []string{"g_1", "g_2", "x_9"}[g.r.Intn(3)], "provider": prov, "type": "slot"},
		"bet":     map[string]any{"amount_minor": bet, "currency": "EUR"},
		"win":     map[string]any{"amount_minor": win},
		"round":   map[string]any{"id": "r" + id, "duration_ms": []int{100, 600, 2000}[g.r.Intn(3)]},
	}
	if m := g.r.Intn(4); m < 3 {
		ev["market"] = []string{"DE", "SE", "FI"}[m]
	}
	if g.r.Intn(4) == 0 {
		ev["funds"] = "bonus"
	}
	if g.r.Intn(6) == 0 {
		ev["win"].(map[string]any)["multiplier"] = float64(g.r.Intn(40)) / 4
	}
	if g.r.Intn(8) == 0 {
		ev["device"] = map[string]any{"asn": "hosting"}
	}
	b, _ := json.Marshal(ev)
	return genEvent{provider: prov, user: user, id: id, body: b}
}

func (g *gen) invalid() genEvent {
	g.n++
	user := g.users[g.r.Intn(len(g.users))]
	id := fmt.Sprintf("bad-%d", g.n)
	bodies := []string{
		`not json`,
		`{"event_id":"` + id + `","user_id":"` + user + `"}`,
		`{"event_id":"` + id + `","ts":"` + g.t0.Add(time.Hour).Format(time.RFC3339) + `","type":"bet","user_id":"` + user + `","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":5,"currency":"EUR"}}`,
	}
	return genEvent{provider: "acme", user: user, id: id, body: []byte(bodies[g.r.Intn(len(bodies))])}
}
