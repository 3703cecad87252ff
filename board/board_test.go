package board

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// kv is one expected entry.
type kv struct {
	user string
	key  []int64
}

// collect returns the entries of t in order, via Each.
func collect(t *Tree) []kv {
	var out []kv
	t.Each(func(pos int, user string, key []int64) bool {
		out = append(out, kv{user, slices.Clone(key)})
		return true
	})
	return out
}

func TestOrdering(t *testing.T) {
	const (
		minI = math.MinInt64
		maxI = math.MaxInt64
	)
	cases := []struct {
		name   string
		nwords int
		in     []kv
		want   []string // users in board order
	}{
		{
			name:   "single word ascending",
			nwords: 1,
			in:     []kv{{"c", []int64{30}}, {"a", []int64{10}}, {"b", []int64{20}}},
			want:   []string{"a", "b", "c"},
		},
		{
			name:   "negative numbers before positive",
			nwords: 1,
			in:     []kv{{"p", []int64{1}}, {"z", []int64{0}}, {"n", []int64{-1}}, {"m", []int64{-1000}}},
			want:   []string{"m", "n", "z", "p"},
		},
		{
			name:   "int64 extremes",
			nwords: 1,
			in: []kv{{"max", []int64{maxI}}, {"min", []int64{minI}}, {"zero", []int64{0}},
				{"max-1", []int64{maxI - 1}}, {"min+1", []int64{minI + 1}}},
			want: []string{"min", "min+1", "zero", "max-1", "max"},
		},
		{
			name:   "equal keys broken by user id bytewise",
			nwords: 1,
			in: []kv{{"b", []int64{5}}, {"a", []int64{5}}, {"B", []int64{5}}, {"aa", []int64{5}},
				{"", []int64{5}}, {"\xff", []int64{5}}, {"a\x00", []int64{5}}, {"u_10", []int64{5}}, {"u_9", []int64{5}}},
			want: []string{"", "B", "a", "a\x00", "aa", "b", "u_10", "u_9", "\xff"},
		},
		{
			name:   "multi-word lexicographic",
			nwords: 3,
			in: []kv{
				{"a", []int64{1, 2, 3}}, {"b", []int64{1, 2, 2}}, {"c", []int64{1, 1, maxI}},
				{"d", []int64{0, maxI, maxI}}, {"e", []int64{1, 2, 3}}, {"f", []int64{minI, 0, 0}},
				{"g", []int64{1, -2, 0}},
			},
			want: []string{"f", "d", "g", "c", "b", "a", "e"},
		},
		{
			name:   "multi-word extremes in later words",
			nwords: 2,
			in: []kv{{"x", []int64{0, maxI}}, {"y", []int64{0, minI}}, {"z", []int64{0, 0}},
				{"w", []int64{-1, maxI}}, {"v", []int64{1, minI}}},
			want: []string{"w", "y", "z", "x", "v"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cfg := range []config{defaultConfig(tc.nwords), {leafCap: 4, innerCap: 4, compactMin: 1}} {
				tr := newTree(tc.nwords, cfg)
				for _, e := range tc.in {
					if _, changed := tr.Upsert(e.user, e.key); !changed {
						t.Fatalf("Upsert(%q) reported no change for a new user", e.user)
					}
				}
				got := collect(tr)
				if len(got) != len(tc.want) {
					t.Fatalf("got %d entries, want %d", len(got), len(tc.want))
				}
				for i, e := range got {
					if e.user != tc.want[i] {
						t.Fatalf("position %d: got %q, want %q (all: %v)", i+1, e.user, tc.want[i], got)
					}
					if r, ok := tr.Rank(e.user); !ok || r != i+1 {
						t.Fatalf("Rank(%q) = %d, %v; want %d", e.user, r, ok, i+1)
					}
				}
				if err := tr.check(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestUpsertReturnsAndCopies(t *testing.T) {
	tr := New(2)
	old, changed := tr.Upsert("alice", []int64{10, 1})
	if old != nil || !changed {
		t.Fatalf("new user: got %v %v, want nil true", old, changed)
	}
	old, changed = tr.Upsert("alice", []int64{10, 1})
	if !changed && slices.Equal(old, []int64{10, 1}) {
		// expected
	} else {
		t.Fatalf("same key: got %v %v, want [10 1] false", old, changed)
	}
	in := []int64{7, 2}
	old, changed = tr.Upsert("alice", in)
	if !changed || !slices.Equal(old, []int64{10, 1}) {
		t.Fatalf("new key: got %v %v, want [10 1] true", old, changed)
	}
	// Neither the returned slices nor the caller's key alias the tree.
	old[0] = 999
	in[0] = 999
	got, ok := tr.Get("alice")
	if !ok || !slices.Equal(got, []int64{7, 2}) {
		t.Fatalf("Get after mutating returned/input slices = %v %v", got, ok)
	}
	got[1] = 999
	if k, _ := tr.Get("alice"); !slices.Equal(k, []int64{7, 2}) {
		t.Fatalf("Get result aliases the tree: %v", k)
	}
	_, k, _ := tr.At(1)
	k[0] = 999
	if k, _ := tr.Get("alice"); !slices.Equal(k, []int64{7, 2}) {
		t.Fatalf("At result aliases the tree: %v", k)
	}
	old, ok = tr.Delete("alice")
	if !ok || !slices.Equal(old, []int64{7, 2}) {
		t.Fatalf("Delete = %v %v", old, ok)
	}
	if old, ok = tr.Delete("alice"); ok || old != nil {
		t.Fatalf("second Delete = %v %v", old, ok)
	}
	if _, ok := tr.Get("alice"); ok {
		t.Fatal("Get finds a deleted user")
	}
	if _, ok := tr.Rank("alice"); ok {
		t.Fatal("Rank finds a deleted user")
	}
	if tr.Len() != 0 {
		t.Fatalf("Len = %d after deleting the only user", tr.Len())
	}
	if old, changed := tr.Upsert("alice", []int64{1, 1}); old != nil || !changed {
		t.Fatalf("reinsert: got %v %v", old, changed)
	}
}

func TestRangeBounds(t *testing.T) {
	tr := newTree(1, config{leafCap: 4, innerCap: 4, compactMin: 1})
	for i := range 50 {
		tr.Upsert(fmt.Sprintf("u_%02d", i), []int64{int64(i)})
	}
	positions := func(from, n int, stopAfter int) []int {
		var ps []int
		tr.Range(from, n, func(pos int, user string, key []int64) bool {
			if want := fmt.Sprintf("u_%02d", pos-1); user != want || key[0] != int64(pos-1) {
				t.Fatalf("pos %d: got %q %v, want %q [%d]", pos, user, key, want, pos-1)
			}
			ps = append(ps, pos)
			return len(ps) < stopAfter
		})
		return ps
	}
	seq := func(a, b int) []int {
		var s []int
		for i := a; i <= b; i++ {
			s = append(s, i)
		}
		return s
	}
	cases := []struct {
		from, n, stop int
		want          []int
	}{
		{1, 10, 100, seq(1, 10)},
		{45, 10, 100, seq(45, 50)},
		{-3, 6, 100, seq(1, 2)},
		{0, 0, 100, nil},
		{5, -1, 100, nil},
		{51, 5, 100, nil},
		{50, 1, 100, []int{50}},
		{1, 50, 100, seq(1, 50)},
		{10, 20, 3, seq(10, 12)},
		{1, math.MaxInt - 5, 100, seq(1, 50)},
	}
	for _, c := range cases {
		if got := positions(c.from, c.n, c.stop); !slices.Equal(got, c.want) {
			t.Errorf("Range(%d, %d) stop after %d: got %v, want %v", c.from, c.n, c.stop, got, c.want)
		}
	}
	if _, _, ok := tr.At(0); ok {
		t.Error("At(0) ok")
	}
	if _, _, ok := tr.At(51); ok {
		t.Error("At(Len+1) ok")
	}
	var n int
	tr.Each(func(int, string, []int64) bool { n++; return n < 7 })
	if n != 7 {
		t.Errorf("Each did not stop early: %d calls", n)
	}
}

func TestPanics(t *testing.T) {
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		fn()
	}
	mustPanic("New(0)", func() { New(0) })
	mustPanic("New(9)", func() { New(9) })
	mustPanic("Upsert with short key", func() { New(2).Upsert("a", []int64{1}) })
	mustPanic("Upsert with long key", func() { New(1).Upsert("a", []int64{1, 2}) })
	for n := 1; n <= 8; n++ {
		if got := New(n).NWords(); got != n {
			t.Errorf("New(%d).NWords() = %d", n, got)
		}
	}
}

func TestCompaction(t *testing.T) {
	tr := newTree(1, config{leafCap: 8, innerCap: 4, compactMin: 256})
	const n = 2000
	for i := range n {
		tr.Upsert(fmt.Sprintf("user-%06d", i), []int64{int64(i % 37)})
	}
	full := len(tr.users.buf)
	for i := range n {
		if i%10 != 0 {
			tr.Delete(fmt.Sprintf("user-%06d", i))
		}
	}
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
	if got := len(tr.users.buf); got > full/3 {
		t.Fatalf("arena holds %d bytes after deleting 90%% of %d bytes: not compacted", got, full)
	}
	if tr.users.dead*2 > len(tr.users.buf) && tr.users.dead >= 256 {
		t.Fatalf("dead bytes %d of %d left after compaction", tr.users.dead, len(tr.users.buf))
	}
	for i := 0; i < n; i += 10 {
		u := fmt.Sprintf("user-%06d", i)
		k, ok := tr.Get(u)
		if !ok || k[0] != int64(i%37) {
			t.Fatalf("Get(%q) = %v %v after compaction", u, k, ok)
		}
	}
	// Deleting everyone leaves an empty, reusable tree.
	for i := 0; i < n; i += 10 {
		tr.Delete(fmt.Sprintf("user-%06d", i))
	}
	if tr.Len() != 0 || tr.height != 0 {
		t.Fatalf("Len %d height %d after deleting everyone", tr.Len(), tr.height)
	}
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
	tr.Upsert("again", []int64{1})
	if r, ok := tr.Rank("again"); !ok || r != 1 {
		t.Fatalf("Rank after refill = %d %v", r, ok)
	}
}

func TestMemBytesGrows(t *testing.T) {
	tr := New(1)
	empty := tr.MemBytes()
	for i := range 10000 {
		tr.Upsert(fmt.Sprintf("u_%d", i), []int64{int64(i)})
	}
	full := tr.MemBytes()
	// Each entry needs at least its key word, record and index slot.
	if full-empty < 10000*(8+4+6) || full > 10000*200 {
		t.Fatalf("MemBytes %d -> %d for 10000 entries", empty, full)
	}
}

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
	w := tr.NWords()
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
				p := rng.IntN(100)
				switch {
				case p < ph.pInsert || len(present) == 0:
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
				case p < ph.pInsert+ph.pDelete:
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
						continue
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

// TestBytewiseNotRunewise pins that user ids compare as bytes, not runes or
// collation.
func TestBytewiseNotRunewise(t *testing.T) {
	tr := New(1)
	ids := []string{"é", "z", "Z", "ü", "\u00ff", "\xc3", "a"}
	for _, id := range ids {
		tr.Upsert(id, []int64{0})
	}
	want := slices.Clone(ids)
	slices.SortFunc(want, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) })
	var got []string
	tr.Each(func(_ int, u string, _ []int64) bool { got = append(got, u); return true })
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestFingerprintPrefix covers ids that share a long prefix, so that
// fingerprints skip it, and later ids that shorten the shared prefix.
func TestFingerprintPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	tr := newTree(1, config{leafCap: 6, innerCap: 4, compactMin: 128})
	m := &refModel{keys: map[string][]int64{}}
	put := func(u string) {
		k := []int64{int64(rng.IntN(3))}
		tr.Upsert(u, k)
		m.keys[u] = k
	}
	for i := range 600 {
		put(fmt.Sprintf("player-%09d", rng.IntN(5000)*1000+i%7))
	}
	if want := "player-"; !strings.HasPrefix(string(tr.pfx), want) {
		t.Fatalf("shared prefix %q, want it to start with %q", tr.pfx, want)
	}
	compareWithModel(t, tr, m, rng)
	for _, odd := range []string{"player-1", "player-", "play", "plx", "p", "Z", ""} {
		put(odd)
		for range 50 {
			put(fmt.Sprintf("player-%09d", rng.IntN(5000)*1000))
		}
		compareWithModel(t, tr, m, rng)
	}
	if len(tr.pfx) != 0 {
		t.Fatalf("shared prefix %q after inserting an empty id", tr.pfx)
	}
}
