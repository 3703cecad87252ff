package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// propertyContests covers all three board types, divisions (also values that
// are no NATS subject token or Redis key segment as they are: '.', space,
// unicode, '*', '>'), equal scores, bonus funds, both caps, the rate limit,
// recurring windows and lateness, formulas giving ±Inf/NaN/huge values
// (clamped to ±10^15) and exact wager points of amounts up to 10^15.
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
scoring:
  formula: "min(multiplier, 5) * 10"
  bonus_coefficient: 0.5
  cap_per_event: 40
  cap_per_user_per_day: 100
leaderboard:
  type: sum
  tiebreakers: [highest_single_multiplier, fewest_rounds, earliest_finish]
anti_abuse: {max_events_per_user_per_sec: 2}
`),
		mustParse(t, "best.yml", `id: p_best
title: Best 3
`+long+`lateness: 60s
max_event_delay: 100h
eligibility: {event_types: [round_end, spin], min_round_duration_ms: 500, exclude_asn: [hosting]}
scoring:
  model: wager
  cap_per_event: 30
leaderboard:
  type: best_n
  n: 3
  tiebreakers: [earliest_finish, most_rounds]
`),
		mustParse(t, "max.yml", `id: p_max
title: Max per market
`+long+`lateness: 60s
max_event_delay: 100h
scope: {markets: [DE, SE], games: ["g_*"]}
scoring:
  model: multiplier_log
  bonus_coefficient: 0
leaderboard:
  type: max
  order: asc
  divisions: market
  tiebreakers: [earliest_finish]
`),
		mustParse(t, "daily.yml", `id: p_daily
title: Six-hourly Kyiv
schedule: {cron: "0 */6 * * *", duration: 6h, tz: Europe/Kyiv}
lateness: 120h
max_event_delay: 100h
scoring:
  formula: "floor(win / 10) + 1"
  cap_per_user_per_day: 50
leaderboard: {type: sum}
`),
		mustParse(t, "huge.yml", `id: p_huge
title: Clamped and non-finite points
`+long+`lateness: 60s
max_event_delay: 100h
scoring:
  formula: "bet >= 100 ? 1e300 : (bet == 0 ? -1e30 : (bet == 5 ? log(0) : (bet == 10 ? 0 / (win - win) : bet * 1e13)))"
leaderboard: {type: best_n, n: 4, tiebreakers: [most_rounds]}
`),
		mustParse(t, "whole.yml", `id: p_whole
title: Exact wager with bonus
`+long+`lateness: 60s
max_event_delay: 100h
scoring: {model: wager, bonus_coefficient: 0.3}
leaderboard: {type: sum}
`),
		mustParse(t, "late.yml", `id: p_late
title: Closing soon
window: {start: `+f(t0.Add(-96*time.Hour))+`, end: `+f(t0.Add(2*time.Second))+`}
lateness: 1s
max_event_delay: 100h
scoring: {model: wager}
leaderboard: {type: sum, tiebreakers: [fewest_rounds]}
`),
		// max_event_delay 2s: the scorer folds this contest's state while
		// the test runs; gen.event sends arrivals just inside and just past.
		mustParse(t, "fold.yml", `id: p_fold
title: Folded best 2
`+long+`max_event_delay: 2s
scope: {providers: [beta]}
eligibility: {event_types: [spin, win]}
scoring: {formula: "bet + win", cap_per_event: 60, cap_per_user_per_day: 400}
leaderboard: {type: best_n, n: 2, tiebreakers: [highest_single_multiplier, most_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 2}
`),
	}
}

// foldDelay is p_fold's max_event_delay.
const foldDelay = 2 * time.Second

type genEvent struct {
	provider, user, id string
	body               []byte
}

type gen struct {
	r     *rand.Rand
	t0    time.Time
	n     int
	users []string
	// divisions: game types from divisionValues (the property test's
	// division contest); off, every event is a "slot", so the kill,
	// cluster and failover loads carry no extra dead letters.
	divisions bool
}

func (g *gen) event() genEvent {
	g.n++
	prov := []string{"acme", "beta", "gamma"}[g.r.Intn(3)]
	if g.r.Intn(5) > 0 {
		prov = []string{"acme", "beta"}[g.r.Intn(2)]
	}
	user := g.users[g.r.Intn(len(g.users))]
	id := fmt.Sprintf("ev-%d", g.n)
	// ts in the last 96h, sometimes several in the same second (rate limit),
	// sometimes a few seconds in the future (within the skew).
	var ts time.Time
	switch g.r.Intn(12) {
	case 10: // p_fold: 300ms inside max_event_delay
		ts = time.Now().Add(-foldDelay + 300*time.Millisecond)
	case 11: // p_fold: 300ms past it (late)
		ts = time.Now().Add(-foldDelay - 300*time.Millisecond)
	case 0:
		ts = g.t0.Add(-time.Duration(g.r.Intn(3)) * time.Second).Truncate(time.Second).Add(time.Duration(g.r.Intn(1000)) * time.Millisecond)
	case 1:
		ts = g.t0.Add(time.Duration(g.r.Intn(5)) * time.Second)
	default:
		ts = g.t0.Add(-time.Duration(g.r.Int63n(int64(95 * time.Hour))))
	}
	bet := []int{0, 5, 10, 20, 50, 100}[g.r.Intn(6)]
	if g.r.Intn(40) == 0 {
		bet = []int{999_999_999_999_999, 1_000_000_000_000_000, 333_333_333_333_333}[g.r.Intn(3)]
	}
	win := 0
	if g.r.Intn(2) == 0 {
		win = min(bet*g.r.Intn(8), 1_000_000_000_000_000)
	}
	ev := map[string]any{
		"event_id": id, "ts": ts.UTC().Format(time.RFC3339Nano),
		"type":    []string{"round_end", "round_end", "spin", "bet", "win"}[g.r.Intn(5)],
		"user_id": user,
		"game":    map[string]any{"id": []string{"g_1", "g_2", "x_9"}[g.r.Intn(3)], "provider": prov, "type": g.gameType()},
		"bet":     map[string]any{"amount_minor": bet, "currency": "EUR"},
		"win":     map[string]any{"amount_minor": win},
		"round":   map[string]any{"id": "r" + id, "duration_ms": []int{100, 600, 2000}[g.r.Intn(3)]},
		"extra":   "kept and ignored",
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
	if g.r.Intn(5) == 0 {
		delete(ev["round"].(map[string]any), "duration_ms")
	}
	b, _ := json.Marshal(ev)
	return genEvent{provider: prov, user: user, id: id, body: b}
}

// divisionContest is divided by game.type, whose generated values include
// some that are no NATS subject token or Redis key segment as they are;
// its per-user rules (daily cap, rate limit) span the divisions. Only the
// property test uses it (the kill and failover tests need no more load).
func divisionContest(t *testing.T, t0 time.Time) *contest.Contest {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	long := fmt.Sprintf("window: {start: %s, end: %s}\n", f(t0.Add(-96*time.Hour)), f(t0.Add(time.Hour)))
	return mustParse(t, "div.yml", `id: p_div
title: Per game type, with per-user rules across the divisions
`+long+`lateness: 60s
scoring:
  formula: "bet + 1"
  cap_per_user_per_day: 150
leaderboard:
  type: best_n
  n: 2
  divisions: game_type
  tiebreakers: [most_rounds, earliest_finish]
anti_abuse: {max_events_per_user_per_sec: 1}
`)
}

// divisionValues are game types (p_div's division field). CONTRACT §1
// allows only [A-Za-z0-9_-] there: the first values are the corner cases the
// allowed charset leaves (case variants, lone separators, the longest value),
// each must reach a board of its own; the others ('.', space, unicode, '*',
// '>', ':', '~') no subject token or key segment holds as they are, and the
// door must refuse them (checkDivisionBoards checks both).
var divisionValues = []string{"Slot", "-", "_", "live-casino", "A_b-9", strings.Repeat("z", 32), "x--y",
	"live.casino", "a b", "Köln", "*", ">", "x:y", "~"}

func (g *gen) gameType() string {
	if !g.divisions || g.r.Intn(2) == 0 {
		return "slot"
	}
	return divisionValues[g.r.Intn(len(divisionValues))]
}

func (g *gen) invalid() genEvent {
	g.n++
	user := g.users[g.r.Intn(len(g.users))]
	id := fmt.Sprintf("bad-%d", g.n)
	bodies := []string{
		`not json`,
		`{"event_id":"` + id + `","user_id":"` + user + `"}`,
		`{"event_id":"` + id + `","ts":"yesterday","type":"bet","user_id":"` + user + `","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":5,"currency":"EUR"}}`,
		`{"event_id":"` + id + `","ts":"` + g.t0.Format(time.RFC3339) + `","type":"bet","user_id":"` + user + `","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":-5,"currency":"EUR"}}`,
		`{"event_id":"` + id + `","ts":"` + g.t0.Add(time.Hour).Format(time.RFC3339) + `","type":"bet","user_id":"` + user + `","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":5,"currency":"EUR"}}`,
		`{"event_id":"` + id + `","ts":"` + g.t0.Format(time.RFC3339) + `","type":"bet","user_id":"someone_else","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":5,"currency":"EUR"}}`,
	}
	return genEvent{provider: "acme", user: user, id: id, body: []byte(bodies[g.r.Intn(len(bodies))])}
}

func TestPipelineMatchesBatchRecomputation(t *testing.T) {
	seeds := []int64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	forModes(t, func(t *testing.T, m scorerMode) {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runProperty(t, m, seed) })
		}
	})
}

func runProperty(t *testing.T, m scorerMode, seed int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	cs := append(propertyContests(t, t0), divisionContest(t, t0))
	dedup := 400 * time.Millisecond
	p := startPipelineMode(t, m, cs, streams.Options{Partitions: 8, DedupWindow: dedup})

	g := &gen{r: rand.New(rand.NewSource(seed)), t0: t0, divisions: true}
	for i := 0; i < 40; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	var sent []genEvent
	send := func(evs []genEvent, viaHTTP bool) { p.send(ctx, evs, viaHTTP) }
	// Phase 1: fresh events through both doors, with some invalid ones.
	var batch []genEvent
	for i := 0; i < 1500; i++ {
		var e genEvent
		if g.r.Intn(30) == 0 {
			e = g.invalid()
		} else {
			e = g.event()
		}
		batch = append(batch, e)
		sent = append(sent, e)
		if len(batch) == 50 {
			send(batch, g.r.Intn(2) == 0)
			batch = nil
		}
	}
	send(batch, false)
	// Garbage on NATS does not stop the pipeline.
	p.publishNATS(ctx, "acme", "u_1", "", []byte{0xff, 0x00, 0x01})
	p.publishNATS(ctx, "acme", "u_1", "", nil)

	// Phase 2: after the JetStream duplicate window, re-send earlier events
	// through the other door, shuffled, mixed with new ones.
	time.Sleep(dedup + 200*time.Millisecond)
	var dup []genEvent
	for i := 0; i < 300; i++ {
		dup = append(dup, sent[g.r.Intn(len(sent))])
	}
	for i := 0; i < 300; i++ {
		dup = append(dup, g.event())
	}
	g.r.Shuffle(len(dup), func(i, j int) { dup[i], dup[j] = dup[j], dup[i] })
	for i := 0; i < len(dup); i += 60 {
		end := min(i+60, len(dup))
		send(dup[i:end], i%120 == 0)
	}

	// Phase 3: once p_late's window plus lateness is over, more events for it:
	// they must land in the late dead-letter stream and not count.
	waitLateClosed(t, cs)
	var late []genEvent
	for i := 0; i < 100; i++ {
		late = append(late, g.event())
	}
	send(late, false)

	p.waitSettled(ctx)
	arr := p.arrivals(ctx)
	want := oracle.Compute(cs, arr, 30*time.Second)
	if want.Late == 0 {
		t.Fatalf("traffic produced no late events; the test would not test lateness")
	}
	if want.Invalid == 0 {
		t.Fatalf("traffic produced no invalid events")
	}
	checkDivisionBoards(t, want)
	compareBoards(t, p, want)
	compareReadModel(ctx, t, p, want)
	checkDeadLetters(ctx, t, p, want)
}

// checkDivisionBoards makes sure the traffic reached a board of every
// division value that needs encoding (and would fail the test otherwise), as
// far as the event rules (§1) allow the value: a game.type the parser
// refuses must have no board (its events are dead-lettered instead).
func checkDivisionBoards(t *testing.T, want oracle.Result) {
	t.Helper()
	have := map[string]int{}
	for id, rows := range want.Boards {
		if id.Contest == "p_div" {
			have[id.Division] += len(rows)
		}
	}
	for _, v := range append([]string{"slot"}, divisionValues...) {
		body, _ := json.Marshal(map[string]any{"event_id": "x", "ts": "2025-10-25T18:00:00Z", "type": "bet", "user_id": "u",
			"game": map[string]any{"id": "g_1", "provider": "acme", "type": v}, "bet": map[string]any{"amount_minor": 1, "currency": "EUR"}})
		_, err := event.Parse(body)
		switch {
		case err == nil && have[v] == 0:
			t.Errorf("no p_div board for division %q: the test would not test it", v)
		case err != nil && have[v] > 0:
			t.Errorf("p_div board for division %q, which the event rules refuse (%v)", v, err)
		}
	}
}

// send publishes evs through the NATS door, or (viaHTTP) as one signed
// batch per provider through the HTTP door (gamma has no HTTP secret: NATS).
func (p *pipeline) send(ctx context.Context, evs []genEvent, viaHTTP bool) {
	p.t.Helper()
	if !viaHTTP {
		for _, e := range evs {
			p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
		}
		return
	}
	byProv := map[string][]json.RawMessage{}
	for _, e := range evs {
		if e.provider == "gamma" {
			p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
			continue
		}
		byProv[e.provider] = append(byProv[e.provider], json.RawMessage(e.body))
	}
	for prov, list := range byProv {
		body, _ := json.Marshal(list)
		code, out := p.postHTTP(prov, body)
		if code != 202 && code != 400 {
			p.t.Fatalf("http door: %d %v", code, out)
		}
	}
}

// waitLateClosed waits until p_late's window plus lateness is over.
func waitLateClosed(t *testing.T, cs []*contest.Contest) {
	t.Helper()
	var lateC *contest.Contest
	for _, c := range cs {
		if c.ID == "p_late" {
			lateC = c
		}
	}
	if lateC == nil {
		t.Fatal("no contest p_late")
	}
	lateEnd := lateC.Window.End.Add(lateC.Lateness)
	for time.Now().Before(lateEnd.Add(100 * time.Millisecond)) {
		time.Sleep(50 * time.Millisecond)
	}
}
