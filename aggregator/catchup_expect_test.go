package aggregator_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
)

// A partition restored after ExpectEvents (its seen set made at the
// expected size, catchup_expect.go) is the same state as one restored
// without, and decides every later event alike: duplicates (the traffic
// resends earlier events) included.
func TestRestoreWithExpectedEvents(t *testing.T) {
	live, rules, g := compatEngine(t)
	compatTraffic(t, live, g)
	plain, hinted := aggregator.NewEngine(rules, 0), aggregator.NewEngine(rules, 0)
	for _, e := range []*aggregator.Engine{plain, hinted} {
		e.SetPruning(aggregator.PruneOptions{FoldMargin: time.Second, FinishedWindows: 2 * time.Minute})
	}
	hinted.ExpectEvents(5000, time.Minute)
	for p := 0; p < 4; p++ {
		data := live.MarshalPartition(nil, p, g.seq)
		for _, e := range []*aggregator.Engine{plain, hinted} {
			if _, err := e.RestorePartition(p, data); err != nil {
				t.Fatalf("partition %d: restore: %v", p, err)
			}
		}
	}
	check := func(when string) {
		t.Helper()
		if a, b := engineBoards(plain), engineBoards(hinted); len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: boards differ (%d vs %d)", when, len(a), len(b))
		}
		s1, w1, c1 := plain.StateSize()
		s2, w2, c2 := hinted.StateSize()
		if s1 != s2 || w1 != w2 || c1 != c2 {
			t.Fatalf("%s: %d %d %d vs %d %d %d seen, windows, candidates", when, s1, w1, c1, s2, w2, c2)
		}
	}
	check("restored")
	g.users = 40
	dups := 0
	for i := 0; i < 1500; i++ {
		se := g.next()
		a, b := plain.Apply(se), hinted.Apply(se)
		if a.Duplicate != b.Duplicate || len(a.Changes) != len(b.Changes) || (a.Invalid == nil) != (b.Invalid == nil) {
			t.Fatalf("event %d: decisions differ: duplicate %v/%v, %d/%d changes", i, a.Duplicate, b.Duplicate, len(a.Changes), len(b.Changes))
		}
		if a.Duplicate {
			dups++
		}
	}
	check("after more traffic")
	if dups == 0 {
		t.Fatal("no duplicate in the traffic: the seen sets were not exercised")
	}
}
