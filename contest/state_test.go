package contest

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

func i64(v int64) *int64 { return &v }

func stateContest(typ string, n, rate int) *Contest {
	return &Contest{
		ID:          "c",
		Scoring:     Scoring{BonusCoefficient: 1, CapPerUserPerDay: i64(100)},
		Leaderboard: Leaderboard{Type: typ, N: n, Order: "desc"},
		AntiAbuse:   AntiAbuse{MaxEventsPerUserPerSec: rate},
	}
}

func finalStandings(u *UserWindow) map[string]Standing {
	out := map[string]Standing{}
	u.Standings(func(d string, st Standing) {
		st.LastPoints = 0
		out[d] = st
	})
	return out
}

// Whatever the arrival order, the final standings are the same: rate limits,
// daily caps and best-N are decided in event-time order.
func TestUserWindowOrderIndependent(t *testing.T) {
	for _, typ := range []string{TypeSum, TypeBestN, TypeMax} {
		for seed := int64(0); seed < 30; seed++ {
			r := rand.New(rand.NewSource(seed))
			c := stateContest(typ, 3, 2)
			var evs []Candidate
			for i := 0; i < 40; i++ {
				evs = append(evs, Candidate{
					TS:         int64(r.Intn(6)) * 1e9, // few distinct seconds → rate limit
					EventID:    fmt.Sprintf("e%02d", i),
					Base:       int64(r.Intn(40)),
					Multiplier: float64(r.Intn(10)),
					Division:   []string{"", "DE"}[r.Intn(2)],
					Day:        int64(r.Intn(2)),
				})
			}
			inOrder := append([]Candidate(nil), evs...)
			sort.Slice(inOrder, func(i, j int) bool { return candLess(&inOrder[i], &inOrder[j]) })
			ref := NewUserWindow(c)
			for _, e := range inOrder {
				ref.Add(e)
			}
			want := finalStandings(ref)
			for k := 0; k < 5; k++ {
				r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
				u := NewUserWindow(c)
				for _, e := range evs {
					u.Add(e)
				}
				got := finalStandings(u)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s seed %d: shuffled %v, in order %v", typ, seed, got, want)
				}
			}
			// And the fast path equals a full recompute.
			full := NewUserWindow(c)
			full.events = append(full.events, inOrder...)
			full.recompute(nil, 0)
			if fmt.Sprint(finalStandings(full)) != fmt.Sprint(want) {
				t.Fatalf("%s seed %d: fast path %v, recompute %v", typ, seed, want, finalStandings(full))
			}
		}
	}
}

func TestUserWindowRules(t *testing.T) {
	c := stateContest(TypeSum, 0, 2)
	u := NewUserWindow(c)
	add := func(ts int64, id string, base int64) []Change {
		return u.Add(Candidate{TS: ts * 1e9, EventID: id, Base: base, Day: ts / 86400})
	}
	add(10, "a", 60)
	add(10, "b", 60) // daily cap 100: gets 40
	if ch := add(10, "c", 5); ch != nil {
		t.Fatalf("third event in one second must be rate limited, got %v", ch)
	}
	st := finalStandings(u)[""]
	if st.Score != 100 || st.Rounds != 2 || st.Finish != 10e9 {
		t.Fatalf("got %+v", st)
	}
	// An earlier event arriving late displaces "b" from the rate limit and
	// takes the cap first.
	ch := add(10, "0", 30)
	if len(ch) != 1 {
		t.Fatalf("changes %v", ch)
	}
	st = finalStandings(u)[""]
	if st.Score != 90 || st.Rounds != 2 { // "0"=30 and "a"=60 count, "b" is now rate limited

		t.Fatalf("want 90 (events 0 and a), got %+v", st)
	}
	// Next day: fresh cap; zero-point events still count as rounds.
	add(86400+5, "d", 100)
	add(86400+6, "e", 10)
	st = finalStandings(u)[""]
	if st.Score != 190 || st.Rounds != 4 || st.Finish != (86400+5)*1e9 {
		t.Fatalf("got %+v", st)
	}
}

func TestBestNTies(t *testing.T) {
	c := stateContest(TypeBestN, 2, 0)
	c.Scoring.CapPerUserPerDay = nil
	u := NewUserWindow(c)
	u.Add(Candidate{TS: 3e9, EventID: "c", Base: 10})
	u.Add(Candidate{TS: 1e9, EventID: "b", Base: 10})
	u.Add(Candidate{TS: 1e9, EventID: "a", Base: 10})
	u.Add(Candidate{TS: 5e9, EventID: "d", Base: 5})
	st := finalStandings(u)[""]
	// Kept: a and b (equal points, earlier ts, smaller id); finish = 1s.
	if st.Score != 20 || st.Finish != 1e9 || st.Rounds != 4 {
		t.Fatalf("got %+v", st)
	}
}
