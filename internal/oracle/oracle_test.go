package oracle

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// t0 is the start of the default fixed window [t0, t0+1h), lateness 90s.
var t0 = time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC)

// at is t0 + s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// fin is the Finish value of an event at t0 + s seconds.
func fin(s float64) int64 { return at(s).UnixNano() }

const noFin = -1

// E describes one test event; zero fields get defaults.
type E struct {
	ID, User string
	TS       float64 // seconds after t0 (ignored when Time is set)
	Time     time.Time
	Type     string // default round_end
	Market   string
	Brand    string
	Provider string // default acme
	Game     string // default g1
	GameType string
	Funds    string
	Platform string
	ASN      string
	Bet, Win int64
	Mult     *float64
	Dur      *int64
	Arrived  time.Time // default ts + 1s
	Subject  string    // default events.<provider>.<user>
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

func (e E) ts() time.Time {
	if !e.Time.IsZero() {
		return e.Time
	}
	return at(e.TS)
}

func (e E) arrival(seq uint64) Arrival {
	if e.Provider == "" {
		e.Provider = "acme"
	}
	if e.Game == "" {
		e.Game = "g1"
	}
	if e.Type == "" {
		e.Type = "round_end"
	}
	game := map[string]any{"id": e.Game, "provider": e.Provider}
	if e.GameType != "" {
		game["type"] = e.GameType
	}
	m := map[string]any{
		"event_id": e.ID, "ts": e.ts().Format(time.RFC3339Nano), "type": e.Type, "user_id": e.User,
		"game": game, "bet": map[string]any{"amount_minor": e.Bet, "currency": "EUR"},
	}
	win := map[string]any{"amount_minor": e.Win}
	if e.Mult != nil {
		win["multiplier"] = *e.Mult
	}
	m["win"] = win
	if e.Market != "" {
		m["market"] = e.Market
	}
	if e.Brand != "" {
		m["brand"] = e.Brand
	}
	if e.Funds != "" {
		m["funds"] = e.Funds
	}
	if e.Dur != nil {
		m["round"] = map[string]any{"id": "r-" + e.ID, "duration_ms": *e.Dur}
	}
	dev := map[string]any{}
	if e.Platform != "" {
		dev["platform"] = e.Platform
	}
	if e.ASN != "" {
		dev["asn"] = e.ASN
	}
	if len(dev) > 0 {
		m["device"] = dev
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	arrived := e.Arrived
	if arrived.IsZero() {
		arrived = e.ts().Add(time.Second)
	}
	subj := e.Subject
	if subj == "" {
		subj = "events." + e.Provider + "." + e.User
	}
	return Arrival{Raw: raw, Subject: subj, Arrived: arrived, Seq: seq}
}

// arr gives the events Seq 1, 2, … in the order listed.
func arr(evs ...E) []Arrival {
	out := make([]Arrival, len(evs))
	for i, e := range evs {
		out[i] = e.arrival(uint64(i + 1))
	}
	return out
}

// fixed is a contest over [t0, t0+1h), lateness 90s, wager points, sum, desc.
func fixed(mod func(c *contest.Contest)) *contest.Contest {
	c := &contest.Contest{
		ID:       "c1",
		Window:   &contest.FixedWindow{Start: t0, End: t0.Add(time.Hour)},
		Lateness: 90 * time.Second,
		Scoring:  contest.Scoring{Model: "wager", BonusCoefficient: 1},
		Leaderboard: contest.Leaderboard{
			Type: contest.TypeSum, Order: "desc",
		},
	}
	if mod != nil {
		mod(c)
	}
	return c
}

var w0 = t0.Unix()

func b(div string) BoardID { return BoardID{Contest: "c1", Window: w0, Division: div} }

func run(cs []*contest.Contest, a []Arrival) Result {
	return Compute(cs, a, event.DefaultMaxFutureSkew)
}

func check(t *testing.T, got Result, want map[BoardID][]Standing, invalid, late int) {
	t.Helper()
	if got.Invalid != invalid || got.Late != late {
		t.Errorf("invalid/late = %d/%d, want %d/%d", got.Invalid, got.Late, invalid, late)
	}
	if want == nil {
		want = map[BoardID][]Standing{}
	}
	if !reflect.DeepEqual(got.Boards, want) {
		t.Errorf("boards:\n got %s\nwant %s", dump(got.Boards), dump(want))
	}
}

func dump(m map[BoardID][]Standing) string {
	var sb strings.Builder
	for k, v := range m {
		fmt.Fprintf(&sb, "\n  %+v:", k)
		for _, s := range v {
			fmt.Fprintf(&sb, "\n    %+v", s)
		}
	}
	return sb.String()
}

// ---------------------------------------------------------------- §1 validity

func TestValidation(t *testing.T) {
	good := func(mod func(m map[string]any)) string {
		m := map[string]any{
			"event_id": "e-1.x:y", "ts": "2025-10-25T18:00:10Z", "type": "round_end", "user_id": "u_1",
			"game": map[string]any{"id": "g1", "provider": "acme", "type": "slot"},
			"bet":  map[string]any{"amount_minor": 100, "currency": "EUR"},
		}
		if mod != nil {
			mod(m)
		}
		raw, _ := json.Marshal(m)
		return string(raw)
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	sub := func(obj, k string, v any) func(map[string]any) {
		return func(m map[string]any) {
			o, _ := m[obj].(map[string]any)
			if o == nil {
				o = map[string]any{}
			}
			if v == nil {
				delete(o, k)
			} else {
				o[k] = v
			}
			m[obj] = o
		}
	}
	const subj = "events.acme.u_1"
	arrived := at(11)
	cases := []struct {
		name    string
		raw     string
		subject string
		arrived time.Time
		valid   bool
	}{
		{"valid", good(nil), subj, arrived, true},
		{"unknown fields kept and ignored", good(set("extra", map[string]any{"x": 1})), subj, arrived, true},
		{"all optional fields", good(func(m map[string]any) {
			m["market"], m["brand"], m["funds"], m["trace_id"] = "DE", "X", "cash", "t"
			m["win"] = map[string]any{"amount_minor": 5, "multiplier": 0.05}
			m["round"] = map[string]any{"id": "r", "status": "done", "duration_ms": 0}
			m["device"] = map[string]any{"platform": "ios", "asn": "mno"}
		}), subj, arrived, true},
		{"null optional is absent", good(set("market", nil)), subj, arrived, true},
		{"empty market allowed", good(set("market", "")), subj, arrived, true},
		{"bad json", `{"event_id":`, subj, arrived, false},
		{"array", "[" + good(nil) + "]", subj, arrived, false},
		{"null", "null", subj, arrived, false},
		{"trailing data", good(nil) + "{}", subj, arrived, false},
		{"missing event_id", good(del("event_id")), subj, arrived, false},
		{"empty event_id", good(set("event_id", "")), subj, arrived, false},
		{"event_id 128 chars", good(set("event_id", strings.Repeat("a", 128))), subj, arrived, true},
		{"event_id 129 chars", good(set("event_id", strings.Repeat("a", 129))), subj, arrived, false},
		{"event_id slash", good(set("event_id", "a/b")), subj, arrived, false},
		{"event_id number", good(set("event_id", 5)), subj, arrived, false},
		{"missing ts", good(del("ts")), subj, arrived, false},
		{"ts not rfc3339", good(set("ts", "2025-10-25 18:00:10")), subj, arrived, false},
		{"ts with offset", good(set("ts", "2025-10-25T20:00:10.5+02:00")), subj, arrived, true},
		{"bad type", good(set("type", "deposit")), subj, arrived, false},
		{"missing type", good(del("type")), subj, arrived, false},
		{"user_id 64", good(set("user_id", strings.Repeat("u", 64))), "events.acme." + strings.Repeat("u", 64), arrived, true},
		{"user_id 65", good(set("user_id", strings.Repeat("u", 65))), "events.acme." + strings.Repeat("u", 65), arrived, false},
		{"user_id with dot", good(set("user_id", "u.1")), "events.acme.u.1", arrived, false},
		{"user_id with colon", good(set("user_id", "u:1")), "events.acme.u:1", arrived, false},
		{"market 33", good(set("market", strings.Repeat("M", 33))), subj, arrived, false},
		{"market bad char", good(set("market", "D E")), subj, arrived, false},
		{"brand number", good(set("brand", 1)), subj, arrived, false},
		{"missing game", good(del("game")), subj, arrived, false},
		{"game not object", good(set("game", "g1")), subj, arrived, false},
		{"missing game.id", good(sub("game", "id", nil)), subj, arrived, false},
		{"game.id 65", good(sub("game", "id", strings.Repeat("g", 65))), subj, arrived, false},
		{"missing game.provider", good(sub("game", "provider", nil)), subj, arrived, false},
		{"missing bet", good(del("bet")), subj, arrived, false},
		{"bet negative", good(sub("bet", "amount_minor", -1)), subj, arrived, false},
		{"bet fraction", good(sub("bet", "amount_minor", 1.5)), subj, arrived, false},
		{"bet 100.0", good(func(m map[string]any) { m["bet"] = json.RawMessage(`{"amount_minor":100.0,"currency":"EUR"}`) }), subj, arrived, false},
		{"bet 1e2", good(func(m map[string]any) { m["bet"] = json.RawMessage(`{"amount_minor":1e2,"currency":"EUR"}`) }), subj, arrived, false},
		{"bet string", good(sub("bet", "amount_minor", "100")), subj, arrived, false},
		{"bet overflow", good(func(m map[string]any) {
			m["bet"] = json.RawMessage(`{"amount_minor":99999999999999999999,"currency":"EUR"}`)
		}), subj, arrived, false},
		{"missing bet.amount_minor", good(sub("bet", "amount_minor", nil)), subj, arrived, false},
		{"currency lower", good(sub("bet", "currency", "eur")), subj, arrived, false},
		{"currency 4", good(sub("bet", "currency", "EURO")), subj, arrived, false},
		{"missing currency", good(sub("bet", "currency", nil)), subj, arrived, false},
		{"win negative", good(sub("win", "amount_minor", -5)), subj, arrived, false},
		{"win multiplier negative", good(sub("win", "multiplier", -0.5)), subj, arrived, false},
		{"win multiplier string", good(sub("win", "multiplier", "2")), subj, arrived, false},
		{"duration fraction", good(sub("round", "duration_ms", 1.5)), subj, arrived, false},
		{"duration negative", good(sub("round", "duration_ms", -1)), subj, arrived, false},
		{"funds bonus", good(set("funds", "bonus")), subj, arrived, true},
		{"funds bad", good(set("funds", "credit")), subj, arrived, false},
		{"funds empty", good(set("funds", "")), subj, arrived, false},
		{"ts exactly skew ahead", good(nil), subj, at(10 - 30), true},
		{"future_ts", good(nil), subj, at(10 - 30).Add(-time.Nanosecond), false},
		{"subject provider mismatch", good(nil), "events.other.u_1", arrived, false},
		{"subject user mismatch", good(nil), "events.acme.u_2", arrived, false},
		{"subject shape", good(nil), "events.acme", arrived, false},
		{"subject prefix", good(nil), "evts.acme.u_1", arrived, false},
		// The amended §1: exact names, strict RFC 3339, bounds and charsets.
		{"TS only", good(func(m map[string]any) { m["TS"] = m["ts"]; delete(m, "ts") }), subj, arrived, false},
		{"Funds ignored", good(set("Funds", "credit")), subj, arrived, true},
		{"bet.Amount_Minor only", good(func(m map[string]any) {
			m["bet"] = map[string]any{"Amount_Minor": 100, "currency": "EUR"}
		}), subj, arrived, false},
		{"ts lower-case t and z", good(set("ts", "2025-10-25t18:00:10z")), subj, arrived, true},
		{"ts +24:00", good(set("ts", "2025-10-26T18:00:10+24:00")), subj, arrived, false},
		{"ts comma fraction", good(set("ts", "2025-10-25T18:00:10,5Z")), subj, arrived, false},
		{"ts leap second", good(set("ts", "2025-10-25T18:00:60Z")), subj, arrived, false},
		{"bet 10^15", good(sub("bet", "amount_minor", 1_000_000_000_000_000)), subj, arrived, true},
		{"bet 10^15+1", good(sub("bet", "amount_minor", 1_000_000_000_000_001)), subj, arrived, false},
		{"win 10^15+1", good(sub("win", "amount_minor", 1_000_000_000_000_001)), subj, arrived, false},
		{"game.type dot", good(sub("game", "type", "live.casino")), subj, arrived, false},
		{"device.asn space", good(set("device", map[string]any{"asn": "mno x"})), subj, arrived, false},
		{"device.platform 33", good(set("device", map[string]any{"platform": strings.Repeat("p", 33)})), subj, arrived, false},
		{"device.id 129", good(set("device", map[string]any{"id": strings.Repeat("d", 129)})), subj, arrived, false},
	}
	c := fixed(nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run([]*contest.Contest{c}, []Arrival{{Raw: []byte(tc.raw), Subject: tc.subject, Arrived: tc.arrived, Seq: 1}})
			if tc.valid {
				user := "u_1"
				if strings.HasPrefix(tc.name, "user_id") {
					user = strings.Repeat("u", 64)
				}
				mult, finish, score := 0.0, fin(10), int64(100)
				switch tc.name {
				case "bet 10^15":
					score = 1_000_000_000_000_000
				case "all optional fields":
					mult = 0.05 // win.multiplier given
				case "ts with offset":
					finish = fin(10.5) // 20:00:10.5+02:00
				}
				check(t, got, map[BoardID][]Standing{b(""): {{1, user, score, mult, 1, finish}}}, 0, 0)
			} else {
				check(t, got, nil, 1, 0)
			}
		})
	}
}

// ---------------------------------------------------------------- multiplier

func TestMultiplier(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring = contest.Scoring{Formula: "multiplier * 100", BonusCoefficient: 1}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 100, Win: 250},                // 2.5 → 250
		E{ID: "b", User: "u2", TS: 1, Bet: 100, Win: 250, Mult: f64(7)},  // given wins → 700
		E{ID: "c", User: "u3", TS: 1, Bet: 0, Win: 50},                   // bet 0 → 0
		E{ID: "d", User: "u4", TS: 1, Bet: 3, Win: 1},                    // 0.333… → 33
		E{ID: "e", User: "u5", TS: 1, Bet: 0, Win: 50, Mult: f64(0.125)}, // 12.5 → 13
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 700, 7, 1, fin(1)},
		{2, "u1", 250, 2.5, 1, fin(1)},
		{3, "u4", 33, 1.0 / 3, 1, fin(1)},
		{4, "u5", 13, 0.125, 1, fin(1)},
		{5, "u3", 0, 0, 1, noFin},
	}}, 0, 0)
}

// ---------------------------------------------------------------- windows, late

func TestWindowBoundaries(t *testing.T) {
	c := fixed(nil)
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", Time: t0, Bet: 1},
		E{ID: "b", User: "u1", Time: t0.Add(-time.Nanosecond), Bet: 10},
		E{ID: "c", User: "u1", Time: t0.Add(time.Hour), Bet: 100},
		E{ID: "d", User: "u1", Time: t0.Add(time.Hour - time.Nanosecond), Bet: 1000},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 1001, 0, 2, t0.Add(time.Hour - time.Nanosecond).UnixNano()},
	}}, 0, 0)
}

func TestLate(t *testing.T) {
	deadline := t0.Add(time.Hour + 90*time.Second)
	c := fixed(func(c *contest.Contest) {
		c.Scope.Markets = []string{"DE"}
		c.MaxEventDelay = 3 * time.Hour // end+lateness decides here
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10, Market: "DE", Bet: 1, Arrived: deadline},                                     // just in time
		E{ID: "b", User: "u1", TS: 20, Market: "DE", Bet: 10, Arrived: deadline.Add(time.Nanosecond)},               // late
		E{ID: "c", User: "u2", TS: 30, Market: "DE", Bet: 100, Arrived: deadline.Add(time.Hour)},                    // late
		E{ID: "d", User: "u1", TS: 40, Market: "SE", Bet: 1000, Arrived: deadline.Add(time.Hour)},                   // out of scope: not late
		E{ID: "b", User: "u1", TS: 20, Market: "DE", Bet: 10, Arrived: deadline.Add(2 * time.Hour)},                 // duplicate: not late again
		E{ID: "e", User: "u1", Time: t0.Add(2 * time.Hour), Market: "DE", Bet: 1, Arrived: deadline.Add(time.Hour)}, // no window
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 1, 0, 1, fin(10)}}}, 0, 2)
}

func TestMaxEventDelay(t *testing.T) {
	// max_event_delay 10m: an arrival exactly 10m after ts counts, one a
	// nanosecond later is late, whatever the window's end; a duplicate of a
	// late event is a duplicate, not late again. Unset means 1h.
	c := fixed(func(c *contest.Contest) { c.MaxEventDelay = 10 * time.Minute })
	ts := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10, Bet: 1, Arrived: ts(10).Add(10 * time.Minute)},                  // just inside
		E{ID: "b", User: "u1", TS: 20, Bet: 10, Arrived: ts(20).Add(10*time.Minute + time.Nanosecond)}, // just past
		E{ID: "c", User: "u2", TS: 30, Bet: 100, Arrived: ts(30).Add(9 * time.Minute)},
		E{ID: "b", User: "u1", TS: 20, Bet: 10, Arrived: ts(20).Add(11 * time.Minute)}, // duplicate
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 100, 0, 1, fin(30)},
		{2, "u1", 1, 0, 1, fin(10)},
	}}, 0, 1)

	d := fixed(nil) // default 1h
	got = run([]*contest.Contest{d}, arr(
		E{ID: "a", User: "u1", TS: 10, Bet: 1, Arrived: ts(10).Add(time.Hour)},
		E{ID: "b", User: "u1", TS: 20, Bet: 10, Arrived: ts(20).Add(time.Hour + time.Millisecond)},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 1, 0, 1, fin(10)}}}, 0, 1)
}

func TestRecurringWindows(t *testing.T) {
	// Hourly windows of 2h overlap: an event at 19:10 is in [18:00,20:00) and
	// [19:00,21:00). It arrives at 20:05 with 1m lateness: late for the first
	// window only.
	c := &contest.Contest{
		ID:       "c1",
		Schedule: &contest.Schedule{Cron: "0 * * * *", Duration: 2 * time.Hour, TZ: time.UTC, TZName: "UTC"},
		Lateness: time.Minute,
		Scoring:  contest.Scoring{Model: "wager", BonusCoefficient: 1},
		Leaderboard: contest.Leaderboard{
			Type: contest.TypeSum, Order: "desc",
		},
	}
	h18, h19, h17 := t0.Unix(), t0.Add(time.Hour).Unix(), t0.Add(-time.Hour).Unix()
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 70 * 60, Bet: 5, Arrived: at(125 * 60)},
		E{ID: "b", User: "u2", TS: 0, Bet: 7}, // 18:00: windows 17:00 and 18:00
	))
	check(t, got, map[BoardID][]Standing{
		{Contest: "c1", Window: h19, Division: ""}: {{1, "u1", 5, 0, 1, fin(70 * 60)}},
		{Contest: "c1", Window: h18, Division: ""}: {{1, "u2", 7, 0, 1, fin(0)}},
		{Contest: "c1", Window: h17, Division: ""}: {{1, "u2", 7, 0, 1, fin(0)}},
	}, 0, 1)

	// Non-overlapping: 30-minute windows each hour; 18:40 is in none.
	c.Schedule = &contest.Schedule{Cron: "0 * * * *", Duration: 30 * time.Minute, TZ: time.UTC}
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10 * 60, Bet: 5},
		E{ID: "b", User: "u1", TS: 40 * 60, Bet: 7},
	))
	check(t, got, map[BoardID][]Standing{
		{Contest: "c1", Window: h18}: {{1, "u1", 5, 0, 1, fin(600)}},
	}, 0, 0)
}

// ---------------------------------------------------------------- scope, eligibility

func TestScope(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scope = contest.Scope{Markets: []string{"DE", "S*"}, Providers: []string{"acme", "hack*"},
			GameTypes: []string{"slot"}, Games: []string{"g_*"}}
	})
	base := E{User: "u1", TS: 1, Market: "DE", Provider: "acme", GameType: "slot", Game: "g_1", Bet: 1}
	mk := func(id string, bet int64, mod func(*E)) E {
		e := base
		e.ID, e.Bet = id, bet
		mod(&e)
		return e
	}
	got := run([]*contest.Contest{c}, arr(
		mk("a", 1, func(e *E) {}),                          // in
		mk("b", 2, func(e *E) { e.Market = "SE" }),         // glob S*
		mk("c", 4, func(e *E) { e.Market = "FI" }),         // out
		mk("d", 8, func(e *E) { e.Market = "" }),           // no market: out
		mk("e", 16, func(e *E) { e.Provider = "hacksaw" }), // glob
		mk("f", 32, func(e *E) { e.Provider = "pragma" }),  // out
		mk("g", 64, func(e *E) { e.GameType = "live" }),    // out
		mk("h", 128, func(e *E) { e.GameType = "" }),       // out
		mk("i", 256, func(e *E) { e.Game = "x_1" }),        // out
		mk("j", 512, func(e *E) { e.Brand = "anything" }),  // brands not listed: no filter
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 1 + 2 + 16 + 512, 0, 4, fin(1)}}}, 0, 0)

	// "*" matches an absent field ("").
	c.Scope = contest.Scope{Markets: []string{"*"}}
	got = run([]*contest.Contest{c}, arr(E{ID: "a", User: "u1", TS: 1, Bet: 3}))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 3, 0, 1, fin(1)}}}, 0, 0)
}

func TestEligibility(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Eligibility = contest.Eligibility{EventTypes: []string{"round_end", "spin"}, MinBetMinor: i64(50),
			MinRoundDurationMS: i64(800), ExcludeASN: []string{"hosting", "proxy"}}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 50, Dur: i64(800)},                    // in (limits inclusive)
		E{ID: "b", User: "u1", TS: 2, Bet: 60, Dur: i64(900), Type: "spin"},      // in
		E{ID: "c", User: "u1", TS: 3, Bet: 70, Dur: i64(900), Type: "bet"},       // wrong type
		E{ID: "d", User: "u1", TS: 4, Bet: 49, Dur: i64(900)},                    // bet too low
		E{ID: "e", User: "u1", TS: 5, Bet: 80, Dur: i64(799)},                    // too short
		E{ID: "f", User: "u1", TS: 6, Bet: 90},                                   // no duration
		E{ID: "g", User: "u1", TS: 7, Bet: 100, Dur: i64(900), ASN: "hosting"},   // excluded
		E{ID: "h", User: "u1", TS: 8, Bet: 1000, Dur: i64(900), ASN: "mno"},      // in
		E{ID: "i", User: "u1", TS: 9, Bet: 10000, Dur: i64(900), Funds: "bonus"}, // bonus × 1
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 50 + 60 + 1000 + 10000, 0, 4, fin(9)}}}, 0, 0)
}

func TestBonus(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Scoring.BonusCoefficient = 0.5 })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5, Funds: "bonus"}, // 2.5 → 3
		E{ID: "b", User: "u1", TS: 2, Bet: 10, Funds: "cash"}, // 10
		E{ID: "c", User: "u2", TS: 3, Bet: 1, Funds: "bonus"}, // 0.5 → 1
		E{ID: "d", User: "u3", TS: 4, Bet: 0, Funds: "bonus"}, // 0, still counted
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 13, 0, 2, fin(2)},
		{2, "u2", 1, 0, 1, fin(3)},
		{3, "u3", 0, 0, 1, noFin},
	}}, 0, 0)

	// Coefficient 0: bonus events do not count at all (u2 is not on the board).
	c.Scoring.BonusCoefficient = 0
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5, Funds: "bonus"},
		E{ID: "b", User: "u1", TS: 2, Bet: 10},
		E{ID: "c", User: "u2", TS: 3, Bet: 1, Funds: "bonus"},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 10, 0, 1, fin(2)}}}, 0, 0)
}

// ---------------------------------------------------------------- points

func TestFormulaAndModels(t *testing.T) {
	cases := []struct {
		formula, model string
		e              E
		want           int64
		finish         int64
	}{
		{"bet / 2", "", E{Bet: 5}, 3, fin(1)},      // 2.5 → 3
		{"-bet / 2", "", E{Bet: 5}, -3, noFin},     // -2.5 → -3
		{"bet / 4", "", E{Bet: 5}, 1, fin(1)},      // 1.25 → 1
		{"bet / 0", "", E{Bet: 5}, 0, noFin},       // +Inf → 0
		{"log(bet - 10)", "", E{Bet: 5}, 0, noFin}, // NaN → 0
		{"log(0)", "", E{Bet: 5}, 0, noFin},        // -Inf → 0
		{"min(multiplier, 50) * 100", "", E{Bet: 1, Win: 70}, 5000, fin(1)},
		{"max(bet, win, 3)", "", E{Bet: 1, Win: 2}, 3, fin(1)},
		{"abs(win - bet)", "", E{Bet: 10, Win: 3}, 7, fin(1)},
		{"floor(bet / 3) + ceil(win / 3)", "", E{Bet: 10, Win: 10}, 3 + 4, fin(1)},
		{"round(bet / 2) * 10", "", E{Bet: 5}, 30, fin(1)},  // round(2.5) = 3
		{"round(-bet / 2) * 10", "", E{Bet: 5}, -30, noFin}, // round(-2.5) = -3
		{"log2(bet) * 10", "", E{Bet: 8}, 30, fin(1)},
		{"log(win)", "", E{Bet: 1, Win: 20}, 3, fin(1)}, // ln 20 = 2.9957
		{"duration_ms / 100", "", E{Bet: 1, Dur: i64(250)}, 3, fin(1)},
		{"duration_ms + 1", "", E{Bet: 1}, 1, fin(1)}, // absent duration = 0
		{"7", "", E{Bet: 1}, 7, fin(1)},
		{"", "multiplier_log", E{Bet: 10, Win: 30}, 200, fin(1)}, // 100·log2(4)
		{"", "multiplier_log", E{Bet: 2, Win: 1}, 58, fin(1)},    // 100·log2(1.5) = 58.496
		{"", "multiplier_log", E{Bet: 0}, 0, noFin},
		{"", "win_amount", E{Bet: 10, Win: 33}, 33, fin(1)},
		{"", "wager", E{Bet: 10, Win: 33}, 10, fin(1)},
	}
	for _, tc := range cases {
		t.Run(tc.formula+tc.model, func(t *testing.T) {
			c := fixed(func(c *contest.Contest) {
				c.Scoring = contest.Scoring{Formula: tc.formula, Model: tc.model, BonusCoefficient: 1}
			})
			e := tc.e
			e.ID, e.User, e.TS = "a", "u1", 1
			got := run([]*contest.Contest{c}, arr(e))
			if len(got.Boards) != 1 || got.Boards[b("")][0].Score != tc.want || got.Boards[b("")][0].Finish != tc.finish {
				t.Errorf("got %s, want score %d finish %d", dump(got.Boards), tc.want, tc.finish)
			}
		})
	}
}

func TestCapPerEvent(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Scoring.CapPerEvent = i64(100) })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 250},
		E{ID: "b", User: "u1", TS: 2, Bet: 40},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 140, 0, 2, fin(2)}}}, 0, 0)
}

// Daily cap in event-time order, whatever the arrival order: bets 100, 200, 300
// at ts 10, 20, 30 with a 350 cap give 100, 200, 50. Taken in arrival order
// 30, 10, 20 they would give 300, 50, 0 instead.
func TestDailyCapOrderIndependent(t *testing.T) {
	evs := []E{
		{ID: "a", User: "u1", TS: 10, Bet: 100},
		{ID: "b", User: "u1", TS: 20, Bet: 200},
		{ID: "c", User: "u1", TS: 30, Bet: 300},
		{ID: "d", User: "u2", TS: 30, Bet: 120},
	}
	for _, typ := range []string{contest.TypeMax, contest.TypeSum} {
		c := fixed(func(c *contest.Contest) {
			c.Scoring.CapPerUserPerDay = i64(350)
			c.Leaderboard.Type = typ
		})
		want := map[string][]Standing{
			contest.TypeMax: {{1, "u1", 200, 0, 3, fin(20)}, {2, "u2", 120, 0, 1, fin(30)}},
			contest.TypeSum: {{1, "u1", 350, 0, 3, fin(30)}, {2, "u2", 120, 0, 1, fin(30)}},
		}[typ]
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < 24; i++ {
			perm := rng.Perm(len(evs))
			shuffled := make([]E, len(evs))
			for j, p := range perm {
				shuffled[j] = evs[p]
			}
			got := run([]*contest.Contest{c}, arr(shuffled...))
			check(t, got, map[BoardID][]Standing{b(""): want}, 0, 0)
		}
	}
}

// The cap is per calendar day in the contest tz: 23:30 and 00:30 Kyiv time are
// different days although both are 2025-10-21 in UTC.
func TestDailyCapTZ(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	c := &contest.Contest{
		ID:       "c1",
		Schedule: &contest.Schedule{Cron: "0 0 * * 1", Duration: 7 * 24 * time.Hour, TZ: kyiv, TZName: "Europe/Kyiv"},
		Location: kyiv,
		Scoring:  contest.Scoring{Model: "wager", BonusCoefficient: 1, CapPerUserPerDay: i64(100)},
		Leaderboard: contest.Leaderboard{
			Type: contest.TypeSum, Order: "desc",
		},
	}
	mon := time.Date(2025, 10, 19, 21, 0, 0, 0, time.UTC) // Monday 2025-10-20 00:00 Kyiv (+03:00)
	e1 := time.Date(2025, 10, 21, 20, 30, 0, 0, time.UTC) // 23:30 Kyiv, Tue
	e2 := time.Date(2025, 10, 21, 21, 30, 0, 0, time.UTC) // 00:30 Kyiv, Wed
	e3 := time.Date(2025, 10, 21, 22, 30, 0, 0, time.UTC) // 01:30 Kyiv, Wed
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", Time: e1, Bet: 100},
		E{ID: "b", User: "u1", Time: e2, Bet: 70},
		E{ID: "c", User: "u1", Time: e3, Bet: 70}, // only 30 left on Wednesday
	))
	check(t, got, map[BoardID][]Standing{
		{Contest: "c1", Window: mon.Unix()}: {{1, "u1", 200, 0, 3, e3.UnixNano()}},
	}, 0, 0)
}

// Negative points give room back under the daily cap (remaining = cap − Σ granted).
func TestDailyCapNegativePoints(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring = contest.Scoring{Formula: "win - bet", BonusCoefficient: 1, CapPerUserPerDay: i64(100)}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 100, Win: 300}, // 200 → 100
		E{ID: "b", User: "u1", TS: 2, Bet: 50},            // -50
		E{ID: "c", User: "u1", TS: 3, Win: 200},           // 200 → 50
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 100, 3, 3, fin(3)}}}, 0, 0)
}

// Points capped to 0 still count: the user is on the board and the round counts.
func TestZeroPointsCounted(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring.CapPerUserPerDay = i64(10)
		c.Leaderboard.Tiebreakers = []string{contest.TieMostRounds}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 10},
		E{ID: "b", User: "u1", TS: 2, Bet: 10}, // 0 after cap
		E{ID: "c", User: "u2", TS: 1, Bet: 10},
		E{ID: "d", User: "u3", TS: 1, Bet: 0},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 10, 0, 2, fin(1)}, // finish: only positive events
		{2, "u2", 10, 0, 1, fin(1)},
		{3, "u3", 0, 0, 1, noFin},
	}}, 0, 0)
}

// ---------------------------------------------------------------- rate limit

func TestRateLimit(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.AntiAbuse.MaxEventsPerUserPerSec = 2 })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10.1, Bet: 1},
		E{ID: "b", User: "u1", TS: 10.2, Bet: 2},
		E{ID: "c", User: "u1", TS: 10.9, Bet: 4}, // third in second 10
		E{ID: "d", User: "u1", TS: 11.0, Bet: 8},
		E{ID: "e", User: "u2", TS: 10.5, Bet: 16}, // other user, own budget
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 16, 0, 1, fin(10.5)},
		{2, "u1", 11, 0, 3, fin(11)},
	}}, 0, 0)
}

// An earlier event arriving later displaces a later one: in event-time order
// c(10.1), a(10.2) take the two slots and b(10.5) is rate limited.
func TestRateLimitDisplacement(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.AntiAbuse.MaxEventsPerUserPerSec = 2 })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10.2, Bet: 1},
		E{ID: "b", User: "u1", TS: 10.5, Bet: 2},
		E{ID: "c", User: "u1", TS: 10.1, Bet: 4, Arrived: at(80)},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 5, 0, 2, fin(10.2)}}}, 0, 0)

	// Same ts: event_id decides (M=1 keeps "a").
	c.AntiAbuse.MaxEventsPerUserPerSec = 1
	got = run([]*contest.Contest{c}, arr(
		E{ID: "b", User: "u1", TS: 10, Bet: 1},
		E{ID: "a", User: "u1", TS: 10, Bet: 2},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 2, 0, 1, fin(10)}}}, 0, 0)
}

// The rate limit and caps are per user per contest window, shared across
// divisions; ineligible/late events do not use up the limit.
func TestRateLimitAcrossDivisions(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.AntiAbuse.MaxEventsPerUserPerSec = 1
		c.Leaderboard.Divisions = "market"
		c.Eligibility.MinBetMinor = i64(1)
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10.5, Market: "DE", Bet: 1},
		E{ID: "b", User: "u1", TS: 10.7, Market: "SE", Bet: 2},                        // limited: no SE board
		E{ID: "c", User: "u1", TS: 11.1, Market: "SE", Bet: 0},                        // ineligible, uses no slot
		E{ID: "d", User: "u1", TS: 11.2, Market: "SE", Bet: 4, Arrived: at(2 * 3600)}, // late, uses no slot
		E{ID: "e", User: "u1", TS: 11.3, Market: "FI", Bet: 8},
	))
	check(t, got, map[BoardID][]Standing{
		b("DE"): {{1, "u1", 1, 0, 1, fin(10.5)}},
		b("FI"): {{1, "u1", 8, 0, 1, fin(11.3)}},
	}, 0, 1)
}

// ---------------------------------------------------------------- duplicates

func TestDuplicates(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Eligibility.MinBetMinor = i64(10) })
	c2 := fixed(func(c *contest.Contest) { c.ID = "c2" })
	got := run([]*contest.Contest{c, c2}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 10},
		E{ID: "a", User: "u1", TS: 2, Bet: 500},                  // copy, other content: ignored
		E{ID: "a", User: "u2", TS: 3, Bet: 500},                  // same id, another user: another event
		E{ID: "b", User: "u2", TS: 4, Bet: 5},                    // ineligible in c1, counts in c2
		E{ID: "b", User: "u2", TS: 5, Bet: 50},                   // copy: first arrival decided
		E{ID: "a", User: "u1", TS: 1, Bet: 10, Arrived: at(9e4)}, // copy a day later, late too: neither counted
		E{ID: "a", User: "u1", TS: 6, Bet: 20, Provider: "beta"}, // same id, another provider: another event
	))
	check(t, got, map[BoardID][]Standing{
		b(""): {{1, "u2", 500, 0, 1, fin(3)}, {2, "u1", 30, 0, 2, fin(6)}},
		{Contest: "c2", Window: w0}: {
			{1, "u2", 505, 0, 2, fin(4)},
			{2, "u1", 30, 0, 2, fin(6)},
		},
	}, 0, 0)

	// An invalid arrival does not take the key.
	bad := arr(E{ID: "x", User: "u1", TS: 1, Bet: 7, Subject: "events.acme.u9"})[0]
	good := arr(E{ID: "x", User: "u1", TS: 2, Bet: 9})[0]
	good.Seq = 2
	got = run([]*contest.Contest{c2}, []Arrival{good, bad}) // Seq order: bad first
	check(t, got, map[BoardID][]Standing{{Contest: "c2", Window: w0}: {{1, "u1", 9, 0, 1, fin(2)}}}, 1, 0)

	// A late first arrival decides too: an on-time copy after it does not count.
	got = run([]*contest.Contest{c2}, arr(
		E{ID: "y", User: "u1", TS: 1, Bet: 7, Arrived: at(2 * 3600)},
		E{ID: "y", User: "u1", TS: 1, Bet: 7, Arrived: at(100)},
	))
	check(t, got, nil, 0, 1)
}

func TestDuplicatesAcrossWindows(t *testing.T) {
	// The key is per contest window: the same event_id in two daily windows counts in each.
	c := &contest.Contest{
		ID:       "c1",
		Schedule: &contest.Schedule{Cron: "0 0 * * *", Duration: 24 * time.Hour, TZ: time.UTC},
		Lateness: time.Hour,
		Scoring:  contest.Scoring{Model: "wager", BonusCoefficient: 1},
		Leaderboard: contest.Leaderboard{
			Type: contest.TypeSum, Order: "desc",
		},
	}
	d1 := time.Date(2025, 10, 25, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(24 * time.Hour)
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", Time: d1.Add(time.Hour), Bet: 3},
		E{ID: "a", User: "u1", Time: d2.Add(time.Hour), Bet: 4},
		E{ID: "a", User: "u1", Time: d2.Add(2 * time.Hour), Bet: 5},
	))
	check(t, got, map[BoardID][]Standing{
		{Contest: "c1", Window: d1.Unix()}: {{1, "u1", 3, 0, 1, d1.Add(time.Hour).UnixNano()}},
		{Contest: "c1", Window: d2.Unix()}: {{1, "u1", 4, 0, 1, d2.Add(time.Hour).UnixNano()}},
	}, 0, 0)
}

// ---------------------------------------------------------------- divisions

func TestDivisions(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Leaderboard.Divisions = "market"
		c.Scoring.CapPerUserPerDay = i64(150) // shared across divisions
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Market: "DE", Bet: 100},
		E{ID: "b", User: "u1", TS: 2, Market: "SE", Bet: 100}, // 50 left
		E{ID: "c", User: "u2", TS: 3, Market: "SE", Bet: 60},
		E{ID: "d", User: "u2", TS: 4, Bet: 7}, // no market → division ""
	))
	check(t, got, map[BoardID][]Standing{
		b("DE"): {{1, "u1", 100, 0, 1, fin(1)}},
		b("SE"): {{1, "u2", 60, 0, 1, fin(3)}, {2, "u1", 50, 0, 1, fin(2)}},
		b(""):   {{1, "u2", 7, 0, 1, fin(4)}},
	}, 0, 0)

	for _, tc := range []struct {
		div  string
		e    E
		want string
	}{
		{"brand", E{Brand: "X"}, "X"},
		{"provider", E{Provider: "hack"}, "hack"},
		{"game_type", E{GameType: "live"}, "live"},
		{"game", E{Game: "g7"}, "g7"},
		{"platform", E{Platform: "ios"}, "ios"},
	} {
		c.Leaderboard.Divisions = tc.div
		e := tc.e
		e.ID, e.User, e.TS, e.Bet = "a", "u1", 1, 1
		got := run([]*contest.Contest{c}, arr(e))
		check(t, got, map[BoardID][]Standing{b(tc.want): {{1, "u1", 1, 0, 1, fin(1)}}}, 0, 0)
	}
}

// ---------------------------------------------------------------- scores

func TestBestN(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Leaderboard.Type = contest.TypeBestN
		c.Leaderboard.N = 2
	})
	got := run([]*contest.Contest{c}, arr(
		// u1: three events of 50; the two earliest (ts 10) are kept → finish 10.
		E{ID: "c", User: "u1", TS: 30, Bet: 50},
		E{ID: "b", User: "u1", TS: 10, Bet: 50},
		E{ID: "a", User: "u1", TS: 10, Bet: 50},
		E{ID: "d", User: "u1", TS: 40, Bet: 20},
		// u2: 70 and 30 kept; 0-point events don't move the finish.
		E{ID: "e", User: "u2", TS: 5, Bet: 30},
		E{ID: "f", User: "u2", TS: 50, Bet: 70},
		E{ID: "g", User: "u2", TS: 60, Bet: 10},
		// u3: only one event, fewer than n.
		E{ID: "h", User: "u3", TS: 7, Bet: 60},
		// u4: only zeros.
		E{ID: "i", User: "u4", TS: 8, Bet: 0},
		E{ID: "j", User: "u4", TS: 9, Bet: 0},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 100, 0, 4, fin(10)},
		{2, "u2", 100, 0, 3, fin(50)},
		{3, "u3", 60, 0, 1, fin(7)},
		{4, "u4", 0, 0, 2, noFin},
	}}, 0, 0)

	// best_n with a 0 in the kept set: finish from the positive one only.
	c.Leaderboard.N = 3
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 5, Bet: 100},
		E{ID: "b", User: "u1", TS: 50, Bet: 0},
	))
	check(t, got, map[BoardID][]Standing{b(""): {{1, "u1", 100, 0, 2, fin(5)}}}, 0, 0)
}

func TestMaxEarliestFinish(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Leaderboard.Type = contest.TypeMax
		c.Leaderboard.Tiebreakers = []string{contest.TieEarliestFinish}
	})
	got := run([]*contest.Contest{c}, arr(
		// u1: highest 100 first reached at ts 10 → finish 10 even with later events.
		E{ID: "a", User: "u1", TS: 30, Bet: 100},
		E{ID: "b", User: "u1", TS: 10, Bet: 100, Arrived: at(60)},
		E{ID: "c", User: "u1", TS: 40, Bet: 50},
		// u2: 100 at ts 20 → after u1.
		E{ID: "d", User: "u2", TS: 20, Bet: 100},
		// u0: 100 at ts 20, same as u2 → user_id decides.
		E{ID: "e", User: "u0", TS: 20, Bet: 100},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u1", 100, 0, 3, fin(10)},
		{2, "u0", 100, 0, 1, fin(20)},
		{3, "u2", 100, 0, 1, fin(20)},
	}}, 0, 0)
}

func TestSumFinish(t *testing.T) {
	c := fixed(func(c *contest.Contest) {
		c.Scoring = contest.Scoring{Formula: "win - bet", BonusCoefficient: 1}
		c.Leaderboard.Tiebreakers = []string{contest.TieEarliestFinish}
	})
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 10, Win: 20},         // +20
		E{ID: "b", User: "u1", TS: 50, Bet: 5, Win: 5},  // 0: not in finish
		E{ID: "c", User: "u2", TS: 5, Win: 30},          // +30
		E{ID: "d", User: "u2", TS: 30, Bet: 10},         // -10: not in finish
		E{ID: "e", User: "u3", TS: 1, Win: 40},          // +40
		E{ID: "f", User: "u3", TS: 40, Bet: 20},         // -20
		E{ID: "g", User: "u4", TS: 2, Bet: 20, Win: 40}, // +20 (finish 2)
		E{ID: "h", User: "u5", TS: 3, Win: 0},           // 0 → no finish
		E{ID: "i", User: "u6", TS: 3, Bet: 1},           // -1 → no finish
		E{ID: "j", User: "u7", TS: 3, Bet: 1, Win: 1},   // 0 → no finish, ties with u5 → user_id
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u3", 20, 0, 2, fin(1)},
		{2, "u4", 20, 2, 1, fin(2)},
		{3, "u2", 20, 0, 2, fin(5)},
		{4, "u1", 20, 1, 2, fin(10)},
		{5, "u5", 0, 0, 1, noFin},
		{6, "u7", 0, 1, 1, noFin},
		{7, "u6", -1, 0, 1, noFin},
	}}, 0, 0)
}

// ---------------------------------------------------------------- order

func TestOrderAsc(t *testing.T) {
	c := fixed(func(c *contest.Contest) { c.Leaderboard.Order = "asc" })
	got := run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5},
		E{ID: "b", User: "u3", TS: 2, Bet: 3},
		E{ID: "c", User: "u2", TS: 3, Bet: 3},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 3, 0, 1, fin(3)},
		{2, "u3", 3, 0, 1, fin(2)},
		{3, "u1", 5, 0, 1, fin(1)},
	}}, 0, 0)

	// max / best_n keep the HIGHEST points even when lower scores rank first.
	c.Leaderboard.Type = contest.TypeMax
	got = run([]*contest.Contest{c}, arr(
		E{ID: "a", User: "u1", TS: 1, Bet: 5},
		E{ID: "b", User: "u1", TS: 2, Bet: 1},
		E{ID: "c", User: "u2", TS: 3, Bet: 4},
	))
	check(t, got, map[BoardID][]Standing{b(""): {
		{1, "u2", 4, 0, 1, fin(3)},
		{2, "u1", 5, 0, 2, fin(1)},
	}}, 0, 0)
}

func TestTiebreakers(t *testing.T) {
	// Every event scores 10 and the board is max, so all scores tie at 10.
	evs := arr(
		E{ID: "a", User: "uA", TS: 50, Bet: 1, Win: 3}, // mult 3
		E{ID: "b", User: "uB", TS: 5, Bet: 1, Win: 2},
		E{ID: "c", User: "uC", TS: 1, Bet: 1, Win: 2},
		E{ID: "d", User: "uC", TS: 2, Bet: 1, Win: 1},
		E{ID: "e", User: "uD", TS: 3, Bet: 1, Win: 2},
		E{ID: "f", User: "uE", TS: 3, Bet: 1, Win: 2},
	)
	A := Standing{0, "uA", 10, 3, 1, fin(50)}
	B := Standing{0, "uB", 10, 2, 1, fin(5)}
	C := Standing{0, "uC", 10, 2, 2, fin(1)} // max: earliest event with the highest points
	D := Standing{0, "uD", 10, 2, 1, fin(3)}
	E_ := Standing{0, "uE", 10, 2, 1, fin(3)}
	pos := func(ss ...Standing) []Standing {
		for i := range ss {
			ss[i].Pos = i + 1
		}
		return ss
	}
	for _, tc := range []struct {
		ties []string
		want []Standing
	}{
		{nil, pos(A, B, C, D, E_)},
		{[]string{contest.TieHighestSingleMultiplier, contest.TieFewestRounds, contest.TieEarliestFinish}, pos(A, D, E_, B, C)},
		{[]string{contest.TieHighestSingleMultiplier, contest.TieMostRounds, contest.TieEarliestFinish}, pos(A, C, D, E_, B)},
		{[]string{contest.TieEarliestFinish, contest.TieHighestSingleMultiplier}, pos(C, D, E_, B, A)},
		{[]string{contest.TieMostRounds}, pos(C, A, B, D, E_)},
		{[]string{contest.TieFewestRounds}, pos(A, B, D, E_, C)},
	} {
		c := fixed(func(c *contest.Contest) {
			c.Scoring = contest.Scoring{Formula: "10", BonusCoefficient: 1}
			c.Leaderboard.Type = contest.TypeMax
			c.Leaderboard.Tiebreakers = tc.ties
		})
		t.Run(strings.Join(tc.ties, ","), func(t *testing.T) {
			check(t, run([]*contest.Contest{c}, evs), map[BoardID][]Standing{b(""): tc.want}, 0, 0)
		})
	}
}

// ---------------------------------------------------------------- scale

func TestLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rng := rand.New(rand.NewSource(7))
	var evs []Arrival
	for i := 0; i < 50000; i++ {
		e := E{ID: fmt.Sprintf("e%d", i%45000), User: fmt.Sprintf("u%d", rng.Intn(2000)),
			TS: rng.Float64() * 3600, Bet: rng.Int63n(1000), Win: rng.Int63n(3000),
			Market: []string{"DE", "SE", "FI"}[rng.Intn(3)]}
		evs = append(evs, e.arrival(uint64(i+1)))
	}
	cs := []*contest.Contest{
		fixed(func(c *contest.Contest) {
			c.Scoring = contest.Scoring{Formula: "min(multiplier, 50) * 100", BonusCoefficient: 1,
				CapPerEvent: i64(3000), CapPerUserPerDay: i64(100000)}
			c.Leaderboard = contest.Leaderboard{Type: contest.TypeBestN, N: 20, Order: "desc",
				Tiebreakers: []string{contest.TieHighestSingleMultiplier, contest.TieFewestRounds, contest.TieEarliestFinish},
				Divisions:   "market"}
			c.AntiAbuse.MaxEventsPerUserPerSec = 2
		}),
		{
			ID:       "c2",
			Schedule: &contest.Schedule{Cron: "*/10 * * * *", Duration: 10 * time.Minute, TZ: time.UTC},
			Scoring:  contest.Scoring{Model: "multiplier_log", BonusCoefficient: 1},
			Leaderboard: contest.Leaderboard{Type: contest.TypeMax, Order: "desc",
				Tiebreakers: []string{contest.TieEarliestFinish}},
		},
	}
	start := time.Now()
	res := run(cs, evs)
	t.Logf("50k events, 2 contests: %v, %d boards", time.Since(start), len(res.Boards))
	// Sanity: positions 1..n, distinct users.
	for id, ss := range res.Boards {
		seen := map[string]bool{}
		for i, s := range ss {
			if s.Pos != i+1 || seen[s.User] {
				t.Fatalf("%+v: bad standing %d %+v", id, i, s)
			}
			seen[s.User] = true
		}
	}
	// Same input in reverse slice order (Seq unchanged) gives the same result.
	rev := make([]Arrival, len(evs))
	for i := range evs {
		rev[len(evs)-1-i] = evs[i]
	}
	if !reflect.DeepEqual(run(cs, rev), res) {
		t.Fatal("result depends on slice order")
	}
}
