package board

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refModel is the naive reference: a map of keys, sorted on demand.
type refModel struct {
	keys map[string][]int64
}

func (m *refModel) sorted() []kv {
	out := make([]kv, 0, len(m.keys))
	for u, k := range m.keys {
		out = append(out, kv{u, k})
	}
	slices.SortFunc(out, func(a, b kv) int {
		if c := cmpWords(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.user, b.user)
	})
	return out
}

// compareWithModel checks every read method of tr against m.
func compareWithModel(t *testing.T, tr *Tree, m *refModel, rng *rand.Rand) {
	t.Helper()
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
	want := m.sorted()
	if tr.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", tr.Len(), len(want))
	}
	for i, e := range want {
		if r, ok := tr.Rank(e.user); !ok || r != i+1 {
			t.Fatalf("Rank(%q) = %d %v, want %d", e.user, r, ok, i+1)
		}
		if k, ok := tr.Get(e.user); !ok || !slices.Equal(k, e.key) {
			t.Fatalf("Get(%q) = %v %v, want %v", e.user, k, ok, e.key)
		}
		if u, k, ok := tr.At(i + 1); !ok || !sameEntry(k, u, e.key, e.user) {
			t.Fatalf("At(%d) = %q %v %v, want %q %v", i+1, u, k, ok, e.user, e.key)
		}
		if w, ok := tr.FirstWordAt(i + 1); !ok || w != e.key[0] {
			t.Fatalf("FirstWordAt(%d) = %d %v, want %d", i+1, w, ok, e.key[0])
		}
	}
	for _, pos := range []int{0, -1, len(want) + 1} {
		if w, ok := tr.FirstWordAt(pos); ok {
			t.Fatalf("FirstWordAt(%d) = %d, true on a board of %d", pos, w, len(want))
		}
	}
	got := collect(tr)
	if len(got) != len(want) {
		t.Fatalf("Each visited %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if !sameEntry(got[i].key, got[i].user, want[i].key, want[i].user) {
			t.Fatalf("Each position %d: %q %v, want %q %v", i+1, got[i].user, got[i].key, want[i].user, want[i].key)
		}
	}
	for range 5 {
		from := rng.IntN(len(want)+4) - 2
		n := rng.IntN(40)
		next := max(from, 1)
		tr.Range(from, n, func(pos int, user string, key []int64) bool {
			if pos != next || pos < 1 || pos > len(want) || pos >= from+n {
				t.Fatalf("Range(%d, %d) visited position %d, expected %d", from, n, pos, next)
			}
			if e := want[pos-1]; !sameEntry(key, user, e.key, e.user) {
				t.Fatalf("Range(%d, %d) position %d: %q %v, want %q %v", from, n, pos, user, key, e.user, e.key)
			}
			next++
			return true
		})
		if wantEnd := min(from+n, len(want)+1); n > 0 && wantEnd > max(from, 1) && next != wantEnd {
			t.Fatalf("Range(%d, %d) stopped before position %d (at %d)", from, n, wantEnd, next)
		}
	}
}

// randomUser draws from a pool of ids that includes odd ones: empty, long
// (two-byte length), and bytes that sort unlike their runes.
func randomUser(rng *rand.Rand, pool int) string {
	switch rng.IntN(50) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("L", 120+rng.IntN(20))
	case 2:
		return string([]byte{0xff, byte(rng.IntN(3))})
	case 3:
		return "u\x00" + fmt.Sprint(rng.IntN(5))
	}
	return fmt.Sprintf("u_%d", rng.IntN(pool))
}

// randomKey draws words that tie often, with extremes mixed in.
func randomKey(rng *rand.Rand, w int) []int64 {
	k := make([]int64, w)
	for i := range k {
		switch rng.IntN(20) {
		case 0:
			k[i] = math.MinInt64
		case 1:
			k[i] = math.MaxInt64
		case 2:
			k[i] = rng.Int64() - rng.Int64()
		default:
			k[i] = int64(rng.IntN(9) - 4)
		}
	}
	return k
}

func TestRandomAgainstReference(t *testing.T) {
	configs := []config{
		{leafCap: 4, innerCap: 4, compactMin: 64},
		{leafCap: 5, innerCap: 5, compactMin: 1},
		{leafCap: 8, innerCap: 6, compactMin: 512},
		{leafCap: 16, innerCap: 8, compactMin: 1 << 20},
	}
	for _, w := range []int{1, 3} {
		for ci, cfg := range configs {
			t.Run(fmt.Sprintf("w%d/leaf%d_inner%d", w, cfg.leafCap, cfg.innerCap), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(w*100+ci), 7))
				runRandom(t, newTree(w, cfg), rng, 1500, 1, 1)
			})
		}
		// Default node sizes need more users to reach two inner levels;
		// the full comparison runs on every third batch.
		t.Run(fmt.Sprintf("w%d/default", w), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			runRandom(t, New(w), rng, 40000, 8, 3)
		})
	}
}

// runRandom drives tr and a reference model through phases of growth,
// churn, shrinking to empty and regrowth, with batches of scale times the
// phase's batch size, comparing them after every checkEvery-th batch and at
// the end of each phase.
func runRandom(t *testing.T, tr *Tree, rng *rand.Rand, pool, scale, checkEvery int) {
	m := &refModel{keys: map[string][]int64{}}
	maxHeight := 0
	phases := []struct {
		name               string
		batches, batchSize int
		pInsert, pDelete   int // percent; the rest raise an existing user's score
	}{
		{"grow", 12, 250, 85, 5},
		{"churn", 10, 300, 30, 20},
		{"shrink", 14, 250, 5, 90},
		{"regrow", 8, 300, 80, 10},
	}
	users := func() []string {
		us := make([]string, 0, len(m.keys))
		for u := range m.keys {
			us = append(us, u)
		}
		slices.Sort(us)
		return us
	}
	for _, ph := range phases {
		for batch := range ph.batches {
			present := users()
			for range ph.batchSize * scale {
				randomOp(t, tr, m, rng, present, pool, ph.pInsert, ph.pDelete)
			}
			maxHeight = max(maxHeight, tr.height)
			if batch%checkEvery == checkEvery-1 || batch == ph.batches-1 {
				compareWithModel(t, tr, m, rng)
			}
		}
		if ph.name == "shrink" {
			for u := range m.keys {
				tr.Delete(u)
				delete(m.keys, u)
			}
			compareWithModel(t, tr, m, rng)
			if tr.height != 0 {
				t.Fatalf("empty tree has height %d", tr.height)
			}
		}
	}
	wantHeight := 2 // default node sizes
	if tr.cfg.innerCap <= 8 {
		wantHeight = 3
	}
	if maxHeight < wantHeight {
		t.Fatalf("tree reached height %d only; the test should exercise several levels", maxHeight)
	}
	t.Logf("max height %d, leaves allocated %d, inners allocated %d", maxHeight, len(tr.leaves), len(tr.inners))
}

// randomOp is one random step on tr and the model m: an insert or update
// (pInsert percent), a delete (pDelete percent, sometimes of an absent
// user) or a small score increase.
func randomOp(t *testing.T, tr *Tree, m *refModel, rng *rand.Rand, present []string, pool, pInsert, pDelete int) {
	w := tr.NWords()
	p := rng.IntN(100)
	switch {
	case p < pInsert || len(present) == 0:
		u, k := randomUser(rng, pool), randomKey(rng, w)
		wantOld, had := m.keys[u]
		old, changed := tr.Upsert(u, k)
		if had != (old != nil) || had && !slices.Equal(old, wantOld) {
			t.Fatalf("Upsert(%q) old = %v, want %v (present %v)", u, old, wantOld, had)
		}
		if wantChanged := !had || !slices.Equal(wantOld, k); changed != wantChanged {
			t.Fatalf("Upsert(%q, %v) changed = %v, want %v", u, k, changed, wantChanged)
		}
		m.keys[u] = slices.Clone(k)
	case p < pInsert+pDelete:
		u := present[rng.IntN(len(present))]
		if rng.IntN(4) == 0 {
			u = randomUser(rng, pool) // maybe absent
		}
		wantOld, had := m.keys[u]
		old, ok := tr.Delete(u)
		if ok != had || !slices.Equal(old, wantOld) {
			t.Fatalf("Delete(%q) = %v %v, want %v %v", u, old, ok, wantOld, had)
		}
		delete(m.keys, u)
	default: // a score increase: word 0 decreases a little
		u := present[rng.IntN(len(present))]
		cur, ok := m.keys[u]
		if !ok {
			return
		}
		k := slices.Clone(cur)
		if k[0] > math.MinInt64+3 {
			k[0] -= int64(rng.IntN(3))
		}
		old, changed := tr.Upsert(u, k)
		if !slices.Equal(old, cur) || changed != !slices.Equal(cur, k) {
			t.Fatalf("raise %q %v -> %v: got %v %v", u, cur, k, old, changed)
		}
		m.keys[u] = k
	}
}
