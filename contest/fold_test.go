package contest

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// foldTraffic is a user's candidates arriving with a bounded delay: the one
// at step i has TS in [now−delay, now] where now = i seconds, so a fold at
// now−delay never precedes a later candidate.
func foldTraffic(r *rand.Rand, n int, delay int64) []Candidate {
	out := make([]Candidate, n)
	for i := range out {
		now := int64(i) * 1e9 / 2
		ts := now - r.Int63n(delay*1e9+1)
		ts = ts / 1e8 * 1e8 // several per second → rate limit
		out[i] = Candidate{
			TS:         ts,
			EventID:    fmt.Sprintf("e%04d", i),
			Base:       int64(r.Intn(40)) - 5, // some negative points
			Multiplier: float64(r.Intn(10)) / 4,
			Division:   []string{"", "DE"}[r.Intn(2)],
			Day:        floorDiv(ts, 20e9), // a "day" of 20s: the daily cap resets
		}
	}
	return out
}

// Folding at the stream time minus the delay never changes a standing: after
// every arrival the folded window equals one that keeps every candidate, the
// changes it reports are the same, and a checkpoint round trip of the folded
// window goes on alike. The folded window stays small.
func TestFoldKeepsResultsExact(t *testing.T) {
	const delay = 3
	for _, typ := range []string{TypeSum, TypeBestN, TypeMax} {
		for seed := int64(0); seed < 15; seed++ {
			r := rand.New(rand.NewSource(seed))
			c := stateContest(typ, 3, 2)
			ref, folded := NewUserWindow(c), NewUserWindow(c)
			maxLen := 0
			for i, cd := range foldTraffic(r, 400, delay) {
				now := int64(i) * 1e9 / 2
				want, got := ref.Add(cd), folded.Add(cd)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s seed %d step %d: changes %+v, want %+v", typ, seed, i, got, want)
				}
				if r.Intn(3) == 0 {
					folded.Fold(now - delay*1e9)
				}
				if r.Intn(40) == 0 {
					var err error
					folded, _, err = UnmarshalUserWindow(c, folded.AppendBinary(nil))
					if err != nil {
						t.Fatalf("%s seed %d step %d: decode: %v", typ, seed, i, err)
					}
				}
				if !reflect.DeepEqual(allStandings(folded), allStandings(ref)) {
					t.Fatalf("%s seed %d step %d: folded %+v, want %+v", typ, seed, i, allStandings(folded), allStandings(ref))
				}
				maxLen = max(maxLen, folded.Len())
			}
			// ≤ 2 per 100ms over delay+½s of event time, plus 2×n pinned.
			if limit := 2*10*(delay+1) + 2*3; maxLen > limit {
				t.Errorf("%s seed %d: folded window held up to %d candidates, want ≤ %d (reference %d)", typ, seed, maxLen, limit, ref.Len())
			}
		}
	}
}

// A candidate at the horizon itself is not folded; FoldedBefore reports the
// whole-second horizon.
func TestFoldHorizon(t *testing.T) {
	u := NewUserWindow(stateContest(TypeSum, 0, 0))
	u.Add(Candidate{TS: 1_999_999_999, EventID: "a", Base: 1})
	u.Add(Candidate{TS: 2e9, EventID: "b", Base: 2})
	if n := u.Fold(2_700_000_000); n != 1 || u.FoldedBefore() != 2e9 || u.Len() != 1 {
		t.Fatalf("fold released %d, horizon %d, held %d; want 1, 2e9, 1", n, u.FoldedBefore(), u.Len())
	}
	if n := u.Fold(2e9); n != 0 {
		t.Fatalf("second fold at the same horizon released %d", n)
	}
	st := allStandings(u)[""]
	if st.Score != 3 || st.Rounds != 2 || st.Finish != 2e9 {
		t.Fatalf("standing %+v", st)
	}
}
