package contest

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

func windowStandings(s *WindowState) map[string]Standing {
	out := map[string]Standing{}
	s.Standings(func(d string, st Standing) { out[d] = st })
	return out
}

// A WindowState, compact whenever it is idle, decides exactly like a
// UserWindow folded at the same horizons and like one that keeps every
// candidate: the same changes, outcomes, standings, fold horizon and
// checkpoint bytes after every arrival, through checkpoint round trips,
// with traffic that pauses long enough for every candidate to fold.
func TestWindowStateCompactExact(t *testing.T) {
	const delay = int64(3e9)
	idleSeen := map[string]int{}
	for _, typ := range []string{TypeSum, TypeMax, TypeBestN} {
		for seed := int64(0); seed < 24; seed++ {
			r := rand.New(rand.NewSource(seed))
			c := stateContest(typ, 3, 2)
			if seed%3 == 1 {
				c.Scoring.CapPerUserPerDay = nil
			}
			divs := []string{""}
			if seed%4 == 3 {
				divs = []string{"", "DE"}
			}
			ref, folded, s := NewUserWindow(c), NewUserWindow(c), MakeWindowState(c)
			now := int64(0)
			for i := 0; i < 300; i++ {
				now += int64(r.Intn(1e9))
				if r.Intn(8) == 0 { // the user pauses: all of it folds
					now += 2*delay + int64(r.Intn(30e9))
					folded.Fold(now - delay)
					s.Fold(now - delay)
					if s.Idle() {
						idleSeen[typ]++
						if c.Scoring.CapPerUserPerDay == nil {
							idleSeen[typ+" without cap"]++
						}
					} else if typ != TypeBestN && len(divs) == 1 {
						t.Fatalf("%s seed %d pause %d: every candidate folded, one board, but the window is not compact", typ, seed, i)
					}
					checkWindowState(t, fmt.Sprintf("%s seed %d pause %d", typ, seed, i), &s, folded, ref)
				}
				ts := (now - r.Int63n(delay+1)) / 1e8 * 1e8
				cd := Candidate{TS: ts, EventID: fmt.Sprintf("e%04d", i), Base: int64(r.Intn(40)) - 5,
					Multiplier: float64(r.Intn(10)) / 4, Division: divs[r.Intn(len(divs))], Day: floorDiv(ts, 20e9)}
				if ts < folded.FoldedBefore() {
					continue // late: the scorer never adds it
				}
				want, got := ref.Add(cd), s.Add(cd)
				folded.Add(cd)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s seed %d step %d: changes %+v, want %+v", typ, seed, i, got, want)
				}
				wc, wp, wok := ref.Outcome(cd.TS, cd.EventID)
				if gc, gp, gok := s.Outcome(cd.TS, cd.EventID); gc != wc || gp != wp || gok != wok {
					t.Fatalf("%s seed %d step %d: outcome %v %d %v, want %v %d %v", typ, seed, i, gc, gp, gok, wc, wp, wok)
				}
				if r.Intn(3) == 0 {
					folded.Fold(now - delay)
					s.Fold(now - delay)
				}
				if r.Intn(25) == 0 {
					var err error
					if s, _, err = UnmarshalWindowState(c, s.AppendBinary(nil)); err != nil {
						t.Fatalf("%s seed %d step %d: decode: %v", typ, seed, i, err)
					}
				}
				checkWindowState(t, fmt.Sprintf("%s seed %d step %d", typ, seed, i), &s, folded, ref)
			}
		}
	}
	t.Logf("idle windows checked: %v", idleSeen)
	if idleSeen[TypeSum] == 0 || idleSeen[TypeMax] == 0 || idleSeen[TypeSum+" without cap"] == 0 || idleSeen[TypeMax+" without cap"] == 0 {
		t.Fatalf("the compact form was never reached: %v", idleSeen)
	}
	if idleSeen[TypeBestN] != 0 {
		t.Fatalf("a best_n window was compact (its pinned candidates must stay): %v", idleSeen)
	}
}

func checkWindowState(t *testing.T, at string, s *WindowState, folded, ref *UserWindow) {
	t.Helper()
	if got, want := windowStandings(s), allStandings(ref); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: standings %+v, want %+v (idle %v)", at, got, want, s.Idle())
	}
	if s.FoldedBefore() != folded.FoldedBefore() || s.Len() != folded.Len() {
		t.Fatalf("%s: horizon %d held %d, want %d %d", at, s.FoldedBefore(), s.Len(), folded.FoldedBefore(), folded.Len())
	}
	if got, want := s.AppendBinary(nil), folded.AppendBinary(nil); !bytes.Equal(got, want) {
		t.Fatalf("%s: checkpoint bytes (idle %v)\n %x\nwant\n %x", at, s.Idle(), got, want)
	}
}

// An idle window goes compact after a fold and back to its full form on
// the next candidate; a fold of a compact window only moves its horizon.
func TestWindowStateIdleRoundTrip(t *testing.T) {
	c := stateContest(TypeSum, 0, 0)
	s := MakeWindowState(c)
	s.Add(Candidate{TS: 1e9, EventID: "a", Base: 7, Multiplier: 2})
	if s.Idle() {
		t.Fatal("a window holding a candidate is compact")
	}
	if n := s.Fold(5e9); n != 1 || !s.Idle() || s.FoldedBefore() != 5e9 {
		t.Fatalf("fold released %d, idle %v, horizon %d; want 1, true, 5e9", n, s.Idle(), s.FoldedBefore())
	}
	if n := s.Fold(9_500_000_000); n != 0 || s.FoldedBefore() != 9e9 {
		t.Fatalf("idle fold released %d, horizon %d; want 0, 9e9", n, s.FoldedBefore())
	}
	ch := s.Add(Candidate{TS: 10e9, EventID: "b", Base: 5, Multiplier: 1})
	want := Standing{Score: 12, MaxMult: 2, Rounds: 2, Finish: 10e9, LastPoints: 5}
	if s.Idle() || len(ch) != 1 || ch[0].Standing != want {
		t.Fatalf("after the next candidate: idle %v, changes %+v; want one change to %+v", s.Idle(), ch, want)
	}
}
