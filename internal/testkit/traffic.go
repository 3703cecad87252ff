package testkit

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"time"
)

// Event is one generated provider event: who sends it and its JSON body.
type Event struct {
	Provider, User, ID string
	Body               []byte
}

// Traffic generates random provider events for property, kill and replay
// tests: providers acme (most), beta and gamma (out of most scopes); users
// u_0…u_<n-1>; ts mostly in the 95 hours before T0, sometimes several in
// one second (rate limits) or a few seconds after T0 (within the skew);
// every event type, bets from 0 to 10^15, wins, explicit multipliers, bonus
// funds, markets DE/SE/FI or none, hosting ASNs, rounds with and without a
// duration, and an unknown field. The same seed gives the same events.
type Traffic struct {
	R     *rand.Rand
	T0    time.Time
	Users []string
	// TS, when set, may choose an event's ts (ok true) before the default
	// choice, e.g. for arrivals just inside and outside max_event_delay.
	TS func(r *rand.Rand) (ts time.Time, ok bool)
	// GameType, when set, picks game.type (default "slot").
	GameType func(r *rand.Rand) string
	n        int
}

// NewTraffic is a generator with seed, T0 and users users.
func NewTraffic(seed int64, t0 time.Time, users int) *Traffic {
	g := &Traffic{R: rand.New(rand.NewSource(seed)), T0: t0}
	for i := range users {
		g.Users = append(g.Users, fmt.Sprintf("u_%d", i))
	}
	return g
}

// Valid is a valid event (event_id ev-<n>).
func (g *Traffic) Valid() Event {
	g.n++
	r := g.R
	prov := []string{"acme", "beta", "gamma"}[r.Intn(3)]
	if r.Intn(5) > 0 {
		prov = []string{"acme", "beta"}[r.Intn(2)]
	}
	user := g.Users[r.Intn(len(g.Users))]
	id := fmt.Sprintf("ev-%d", g.n)
	bet, win := g.amounts()
	ev := map[string]any{
		"event_id": id, "ts": g.ts().UTC().Format(time.RFC3339Nano),
		"type":    []string{"round_end", "round_end", "spin", "bet", "win"}[r.Intn(5)],
		"user_id": user,
		"game":    map[string]any{"id": []string{"g_1", "g_2", "x_9"}[r.Intn(3)], "provider": prov, "type": g.gameType()},
		"bet":     map[string]any{"amount_minor": bet, "currency": "EUR"},
		"win":     map[string]any{"amount_minor": win},
		"round":   map[string]any{"id": "r" + id, "duration_ms": []int{100, 600, 2000}[r.Intn(3)]},
		"extra":   "kept and ignored",
	}
	g.options(ev)
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // a map of strings and numbers always encodes
	}
	return Event{Provider: prov, User: user, ID: id, Body: b}
}

func (g *Traffic) ts() time.Time {
	r := g.R
	if g.TS != nil {
		if ts, ok := g.TS(r); ok {
			return ts
		}
	}
	switch r.Intn(10) {
	case 0:
		return g.T0.Add(-time.Duration(r.Intn(3)) * time.Second).Truncate(time.Second).Add(time.Duration(r.Intn(1000)) * time.Millisecond)
	case 1:
		return g.T0.Add(time.Duration(r.Intn(5)) * time.Second)
	}
	return g.T0.Add(-time.Duration(r.Int63n(int64(95 * time.Hour))))
}

func (g *Traffic) amounts() (bet, win int) {
	r := g.R
	bet = []int{0, 5, 10, 20, 50, 100}[r.Intn(6)]
	if r.Intn(40) == 0 {
		bet = []int{999_999_999_999_999, 1_000_000_000_000_000, 333_333_333_333_333}[r.Intn(3)]
	}
	if r.Intn(2) == 0 {
		win = min(bet*r.Intn(8), 1_000_000_000_000_000)
	}
	return bet, win
}

func (g *Traffic) gameType() string {
	if g.GameType == nil {
		return "slot"
	}
	return g.GameType(g.R)
}

// options sets the optional fields of ev at random.
func (g *Traffic) options(ev map[string]any) {
	r := g.R
	if m := r.Intn(4); m < 3 {
		ev["market"] = []string{"DE", "SE", "FI"}[m]
	}
	if r.Intn(4) == 0 {
		ev["funds"] = "bonus"
	}
	if r.Intn(6) == 0 {
		ev["win"].(map[string]any)["multiplier"] = float64(r.Intn(40)) / 4
	}
	if r.Intn(8) == 0 {
		ev["device"] = map[string]any{"asn": "hosting"}
	}
	if r.Intn(5) == 0 {
		delete(ev["round"].(map[string]any), "duration_ms")
	}
}

// Invalid is an event the doors or the scorer must refuse (event_id
// bad-<n>, provider acme): not JSON, fields missing, a bad ts, a negative
// bet, a ts an hour after T0 (future_ts when T0 is now), or another user in
// the body than in the subject.
func (g *Traffic) Invalid() Event {
	g.n++
	user := g.Users[g.R.Intn(len(g.Users))]
	id := fmt.Sprintf("bad-%d", g.n)
	rest := `,"type":"bet","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"}}`
	head := `{"event_id":"` + id + `","user_id":"%s","ts":"%s"`
	t0, later := g.T0.Format(time.RFC3339), g.T0.Add(time.Hour).Format(time.RFC3339)
	bodies := []string{
		`not json`,
		`{"event_id":"` + id + `","user_id":"` + user + `"}`,
		fmt.Sprintf(head+rest, user, "yesterday", 5),
		fmt.Sprintf(head+rest, user, t0, -5),
		fmt.Sprintf(head+rest, user, later, 5),
		fmt.Sprintf(head+rest, "someone_else", t0, 5),
	}
	return Event{Provider: "acme", User: user, ID: id, Body: []byte(bodies[g.R.Intn(len(bodies))])}
}
