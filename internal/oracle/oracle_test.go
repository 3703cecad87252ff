package oracle

import (
	"encoding/json"
	"fmt"
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
