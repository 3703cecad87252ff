package aggregator_test

import (
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// A prune visits only the windows due (prune_due.go): the same traffic
// through an engine left alone and through one whose every window is also
// folded after each prune, as a prune did before, decides alike event by
// event; that visit never finds anything left to fold or free; standings
// and checkpoints stay equal, across restores (of both) from checkpoints, a
// stream time that steps back past the fold margin and finished windows.
func TestPruneVisitsOnlyDue(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Hour)
	delay := 20 * time.Second
	rules := contest.NewRegistry(pruneContests(t, t0, delay))
	opt := aggregator.PruneOptions{FoldMargin: 500 * time.Millisecond, FinishedWindows: time.Minute, Every: 700 * time.Millisecond}
	lazy, eager := aggregator.NewEngine(rules, 0), aggregator.NewEngine(rules, 0)
	lazy.SetPruning(opt)
	eager.SetPruning(opt)
	g := &pruneTraffic{r: rand.New(rand.NewSource(11)), t0: t0, step: 25 * time.Millisecond, users: 40, delay: delay}
	const n = 12000
	folds := 0
	for i := 1; i <= n; i++ {
		g.users = 40 + 1500*((i/1500)%2) // in turns, users back within the delay and after it
		se := g.next()
		if i%997 == 0 { // JetStream time steps back past the margin
			se.Time = se.Time.Add(-3 * time.Second)
		}
		a, b := lazy.Apply(se), eager.Apply(se)
		a.Accruals, b.Accruals = aggregator.Accruals{}, aggregator.Accruals{}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("event %d: decided %+v, with every window visited %+v", i, a, b)
		}
		folded, unfreed := eager.VisitAllWindows()
		if folded != 0 || unfreed != 0 {
			t.Fatalf("event %d: a visit of every window folded %d candidates and found %d windows to free", i, folded, unfreed)
		}
		if i%500 == 0 {
			compareEngines(t, i, lazy, eager)
		}
		if i%2000 == 0 {
			lazy, eager = restored(t, rules, opt, lazy, se.Seq), restored(t, rules, opt, eager, se.Seq)
		}
		_, _, c := lazy.StateSize()
		folds = max(folds, c)
	}
	if w, _, _ := lazy.StateSize(); w == 0 {
		t.Fatal("nothing held")
	}
	t.Logf("%d events alike; at most %d candidates held", n, folds)
}

// compareEngines fails unless a and b hold the same standings, state sizes
// and checkpoint sizes.
func compareEngines(t *testing.T, at int, a, b *aggregator.Engine) {
	t.Helper()
	if !reflect.DeepEqual(engineBoards(a), engineBoards(b)) {
		t.Fatalf("event %d: standings differ", at)
	}
	if wa, wb := a.WindowBytes(), b.WindowBytes(); !reflect.DeepEqual(wa, wb) {
		for k, v := range wa {
			if wb[k] != v {
				t.Fatalf("event %d: window %s is %x, with every window visited %x", at, k, v, wb[k])
			}
		}
		t.Fatalf("event %d: %d windows, with every window visited %d", at, len(wa), len(wb))
	}
	s1, w1, c1 := a.StateSize()
	s2, w2, c2 := b.StateSize()
	if s1 != s2 || w1 != w2 || c1 != c2 {
		t.Fatalf("event %d: state %d/%d/%d, with every window visited %d/%d/%d", at, s1, w1, c1, s2, w2, c2)
	}
	for p := 0; p < 4; p++ {
		if x, y := len(a.MarshalPartition(nil, p, 1)), len(b.MarshalPartition(nil, p, 1)); x != y {
			t.Fatalf("event %d: partition %d checkpoint of %d bytes, with every window visited %d", at, p, x, y)
		}
	}
}

// restored returns a new engine restored from e's checkpoints.
func restored(t *testing.T, rules *contest.Registry, opt aggregator.PruneOptions, e *aggregator.Engine, seq uint64) *aggregator.Engine {
	t.Helper()
	r := aggregator.NewEngine(rules, 0)
	r.SetPruning(opt)
	for p := 0; p < 4; p++ {
		if _, err := r.RestorePartition(p, e.MarshalPartition(nil, p, seq)); err != nil {
			t.Fatal(err)
		}
	}
	return r
}
