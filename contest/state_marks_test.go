package contest

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// markRules are the rule kinds a user window decides: sum, max and best_n,
// with and without a rate limit and a daily cap (negative points give cap
// room back), one with points near the per-event bound so sums saturate.
// Standings are compared whole: the score and what the tie-breakers read
// (highest multiplier, rounds, finish); small points make best_n ties.
type markRule struct {
	name string
	c    *Contest
	base func(r *rand.Rand) int64
	divs []string
	n    int // candidates
}

func markRules() []markRule {
	small := func(r *rand.Rand) int64 { return int64(r.Intn(80)) - 20 }
	// ±10^15, mostly +: a board's sum reaches MaxScore after ≈ 18 000
	// candidates, and the order of the negative ones after it matters.
	huge := func(r *rand.Rand) int64 { return MaxEventPoints * int64(1-2*(r.Intn(4)/3)) }
	noCap := func(c *Contest) *Contest { c.Scoring.CapPerUserPerDay = nil; return c }
	three := []string{"", "DE", "FR"}
	return []markRule{
		{"sum/cap/rate2", stateContest(TypeSum, 0, 2), small, three, 600},
		{"sum/plain", noCap(stateContest(TypeSum, 0, 0)), small, three, 600},
		{"sum/saturating", noCap(stateContest(TypeSum, 0, 0)), huge, []string{""}, 24000},
		{"max/cap/rate3", stateContest(TypeMax, 0, 3), small, three, 600},
		{"max/plain", noCap(stateContest(TypeMax, 0, 0)), small, three, 600},
		{"best_n3/cap/rate2", stateContest(TypeBestN, 3, 2), small, three, 600},
		{"best_n1/rate1", noCap(stateContest(TypeBestN, 1, 1)), small, three, 600},
		{"best_n5/cap", stateContest(TypeBestN, 5, 0), small, three, 600},
	}
}

// markArrivals are arrival orders: the candidate made at step i (stream
// time i × 100 ms) has ts = that time minus a lag, and fold says whether the
// window folds at stream time minus maxLag on the way (then no lag exceeds
// maxLag, as the contract's max_event_delay guarantees).
var markArrivals = []struct {
	name   string
	lag    func(r *rand.Rand) int64
	maxLag int64
	fold   bool
}{
	{"inorder", func(*rand.Rand) int64 { return 0 }, 0, true},
	{"jitter2s", func(r *rand.Rand) int64 { return r.Int63n(2e9 + 1) }, 2e9, true},
	{"farlate", func(r *rand.Rand) int64 { return r.Int63n(30e9 + 1) }, 30e9, true},
	{"athorizon", lagAtHorizon, 10e9, true}, // a third exactly at the fold horizon or just inside
	{"shuffled", func(r *rand.Rand) int64 { return r.Int63n(200e9) }, 0, false},
}

func lagAtHorizon(r *rand.Rand) int64 {
	switch r.Intn(3) {
	case 0:
		return 10e9 - int64(r.Intn(2))*1e8 // at the horizon, or 100 ms inside it
	case 1:
		return r.Int63n(1e9)
	}
	return 0
}

// markTraffic makes n candidates of one user in arrival order, with several
// per second (the rate limit), three divisions, a "day" of 20 s (the daily
// cap resets) and ties in points, multiplier and ts.
func markTraffic(r *rand.Rand, rule markRule, lag func(*rand.Rand) int64) (cands []Candidate, now []int64) {
	for i := 0; i < rule.n; i++ {
		t := 1e12 + int64(i)*1e8
		ts := (t - lag(r)) / 5e7 * 5e7
		cands = append(cands, Candidate{
			TS: ts, EventID: fmt.Sprintf("e%05d", i), Base: rule.base(r),
			Multiplier: float64(r.Intn(8)) / 2, Division: rule.divs[r.Intn(len(rule.divs))], Day: floorDiv(ts, 20e9),
		})
		now = append(now, t)
	}
	return cands, now
}

// Whatever the arrival order (around the fold horizon included), a window
// that recomputes from its insertion point (marks, here one every 3
// candidates) reports after every arrival exactly the changes of one that
// recomputes everything (and rescores after each Fold), holds the same
// standings and outcomes, survives a checkpoint round trip alike, and ends
// with the in-order result.
func TestUserWindowMarksExact(t *testing.T) {
	defer func(m, s int) { minMarked, markSpacing = m, s }(minMarked, markSpacing)
	for _, rule := range markRules() {
		for _, arr := range markArrivals {
			if rule.n > 1000 && !arr.fold {
				continue // the reference's full rescores of everything: too slow
			}
			for seed := int64(0); seed < 3; seed++ {
				name := fmt.Sprintf("%s/%s/seed%d", rule.name, arr.name, seed)
				r := rand.New(rand.NewSource(seed))
				cands, now := markTraffic(r, rule, arr.lag)
				sat := checkMarks(t, name, rule.c, cands, now, arr.maxLag, arr.fold, r)
				if rule.n > 1000 && !sat {
					t.Fatalf("%s: no score saturated", name)
				}
			}
		}
	}
}

// checkMarks runs the check on one arrival order and reports whether a
// score reached MaxScore on the way.
func checkMarks(t *testing.T, name string, c *Contest, cands []Candidate, now []int64, maxLag int64, fold bool, r *rand.Rand) (saturated bool) {
	t.Helper()
	got, ref := NewUserWindow(c), NewUserWindow(c)
	var gotCh, refCh []Change
	for i, cd := range cands {
		minMarked, markSpacing = 1<<62, 32 // the reference never marks
		refCh = ref.AddTo(refCh[:0], cd)
		minMarked, markSpacing = 2, 3
		gotCh = got.AddTo(gotCh[:0], cd)
		if !reflect.DeepEqual(gotCh, refCh) {
			t.Fatalf("%s step %d: changes %+v, want %+v", name, i, gotCh, refCh)
		}
		for _, ch := range refCh {
			saturated = saturated || ch.Standing.Score == MaxScore
		}
		if fold && r.Intn(5) == 0 {
			got.Fold(now[i] - maxLag)
			ref.Fold(now[i] - maxLag)
			ref.rescore() // a Fold used to end with one: it must change nothing
		}
		if r.Intn(50) == 0 {
			var err error
			if got, _, err = UnmarshalUserWindow(c, got.AppendBinary(nil)); err != nil {
				t.Fatalf("%s step %d: decode: %v", name, i, err)
			}
		}
		if !reflect.DeepEqual(allStandings(got), allStandings(ref)) || !sameOutcomes(got, ref) {
			t.Fatalf("%s step %d: standings %+v, want %+v", name, i, allStandings(got), allStandings(ref))
		}
	}
	if ref.mk != nil {
		t.Fatalf("%s: the reference took marks", name)
	}
	inOrder := slices.Clone(cands)
	slices.SortFunc(inOrder, func(a, b Candidate) int {
		if candLess(&a, &b) {
			return -1
		}
		return 1
	})
	want := NewUserWindow(c)
	for _, cd := range inOrder {
		want.Add(cd)
	}
	if fmt.Sprint(finalStandings(got)) != fmt.Sprint(finalStandings(want)) {
		t.Fatalf("%s: final %v, in order %v", name, finalStandings(got), finalStandings(want))
	}
	return saturated
}

// sameOutcomes compares what every held candidate counts for.
func sameOutcomes(a, b *UserWindow) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.events {
		x, y := &a.events[i], &b.events[i]
		if x.EventID != y.EventID || x.counted != y.counted || x.final != y.final || x.pinned != y.pinned {
			return false
		}
	}
	return true
}
