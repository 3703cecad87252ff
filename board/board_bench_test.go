package board

import (
	"runtime"
	"testing"
	"time"
)

// builtBoard is a tree loaded with a fixture's users, with what loading it
// cost.
type builtBoard struct {
	f         *fixture
	t         *Tree
	heapBytes uint64 // HeapAlloc growth while loading, after GC
	loadTime  time.Duration
	// next is the number of updates applied so far.
	next int
}

// buildBoard loads every user of f into a new tree, keyed by the negated
// score so that position 1 is the highest score.
func buildBoard(f *fixture) *builtBoard {
	before := heapAlloc()
	start := time.Now()
	t := New(1)
	key := []int64{0}
	for i, u := range f.users {
		key[0] = -f.scores[i]
		t.Upsert(u, key)
	}
	took := time.Since(start)
	after := heapAlloc()
	runtime.KeepAlive(t)
	return &builtBoard{f: f, t: t, heapBytes: after - before, loadTime: took}
}

// leafFill returns the mean fraction of leaf slots in use.
func (t *Tree) leafFill() float64 {
	used, slots := 0, 0
	for id := t.head; id != nilID; id = t.leaf(id).next {
		used += t.leaf(id).n
		slots += t.cfg.leafCap
	}
	return float64(used) / float64(slots)
}

// report adds the memory figures of bb to b's output: HeapAlloc growth
// while loading, MemBytes and leaf fill now (after any updates), and the
// load time.
func (bb *builtBoard) report(b *testing.B) {
	n := float64(bb.t.Len())
	b.ReportMetric(float64(bb.heapBytes)/n, "heapB/entry")
	b.ReportMetric(float64(bb.t.MemBytes())/n, "memB/entry")
	b.ReportMetric(bb.t.leafFill()*100, "fill-%")
	b.ReportMetric(float64(bb.loadTime.Nanoseconds())/n, "load-ns/entry")
}

// BenchmarkUpsert measures score increases of random users on a loaded
// board (the update a leaderboard sees), and the board's memory.
func BenchmarkUpsert(b *testing.B) {
	for _, n := range benchSizes() {
		var bb *builtBoard
		b.Run(sizeName(n), func(b *testing.B) {
			if bb == nil {
				bb = buildBoard(newFixture(n))
			}
			f, t := bb.f, bb.t
			key := []int64{0}
			b.ResetTimer()
			for i := range b.N {
				u, score := f.op(bb.next + i)
				key[0] = -score
				t.Upsert(u, key)
			}
			b.StopTimer()
			bb.next += b.N
			bb.report(b)
		})
	}
}

// BenchmarkRank measures the rank of random users on a loaded board.
func BenchmarkRank(b *testing.B) {
	for _, n := range benchSizes() {
		var bb *builtBoard
		b.Run(sizeName(n), func(b *testing.B) {
			if bb == nil {
				bb = buildBoard(newFixture(n))
			}
			f, t := bb.f, bb.t
			sum := 0
			b.ResetTimer()
			for i := range b.N {
				p, _ := t.Rank(f.lookupIDs[i&(benchOps-1)])
				sum += p
			}
			b.StopTimer()
			if sum == 0 {
				b.Fatal("no ranks found")
			}
			bb.report(b)
		})
	}
}

// BenchmarkEach measures a full in-order walk (what a snapshot of the board
// costs); ns/op is per board, ns/entry per entry.
func BenchmarkEach(b *testing.B) {
	for _, n := range benchSizes() {
		var bb *builtBoard
		b.Run(sizeName(n), func(b *testing.B) {
			if bb == nil {
				bb = buildBoard(newFixture(n))
			}
			b.ResetTimer()
			for range b.N {
				seen := 0
				bb.t.Each(func(_ int, user string, _ []int64) bool {
					seen += len(user)
					return true
				})
				if seen == 0 {
					b.Fatal("empty walk")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
		})
	}
}
