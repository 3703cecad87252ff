package contest

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// AddCounted returns what AddTo followed by Outcome does: the same changes
// and state, and the outcome Outcome's search finds, for random arrivals
// (in and out of event-time order, with rate limits, daily caps, folds and
// candidates equal to one already held).
func TestAddCountedAgrees(t *testing.T) {
	const delay = int64(3e9)
	for _, typ := range []string{TypeSum, TypeMax, TypeBestN} {
		for seed := int64(0); seed < 30; seed++ {
			r := rand.New(rand.NewSource(seed))
			c := stateContest(typ, 3, 2)
			if seed%3 == 1 {
				c.Scoring.CapPerUserPerDay = nil
			}
			divs := []string{"", "DE", "SE"}[:1+seed%3]
			ref, s := MakeWindowState(c), MakeWindowState(c)
			var held []Candidate
			now := int64(0)
			for i := 0; i < 400; i++ {
				now += int64(r.Intn(5e8))
				ts := (now - r.Int63n(delay+1)) / 1e8 * 1e8
				cd := Candidate{TS: ts, EventID: fmt.Sprintf("e%04d", i), Base: int64(r.Intn(40)) - 5,
					Multiplier: float64(r.Intn(10)) / 4, Division: divs[r.Intn(len(divs))], Day: floorDiv(ts, 20e9)}
				if len(held) > 0 && r.Intn(10) == 0 { // equal to one held (ts and event id)
					h := held[r.Intn(len(held))]
					cd.TS, cd.EventID, cd.Day = h.TS, h.EventID, h.Day
				}
				if cd.TS < ref.FoldedBefore() {
					continue
				}
				held = append(held, cd)
				want := append([]Change(nil), ref.AddTo(nil, cd)...)
				wc, wp, _ := ref.Outcome(cd.TS, cd.EventID)
				got, gc, gp := s.AddCounted(nil, cd)
				at := fmt.Sprintf("%s seed %d step %d", typ, seed, i)
				if !reflect.DeepEqual(got, want) || gc != wc || gp != wp {
					t.Fatalf("%s: AddCounted %+v %v %d, want %+v %v %d", at, got, gc, gp, want, wc, wp)
				}
				if r.Intn(4) == 0 {
					ref.Fold(now - delay)
					s.Fold(now - delay)
				}
				if !reflect.DeepEqual(windowStandings(&s), windowStandings(&ref)) || s.Len() != ref.Len() {
					t.Fatalf("%s: state differs", at)
				}
			}
		}
	}
}
