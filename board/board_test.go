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
				checkOrder(t, newTree(tc.nwords, cfg), tc.in, tc.want)
			}
		})
	}
}

// checkOrder inserts in into tr and checks the board order and ranks.
func checkOrder(t *testing.T, tr *Tree, in []kv, want []string) {
	t.Helper()
	for _, e := range in {
		if _, changed := tr.Upsert(e.user, e.key); !changed {
			t.Fatalf("Upsert(%q) reported no change for a new user", e.user)
		}
	}
	got := collect(tr)
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i, e := range got {
		if e.user != want[i] {
			t.Fatalf("position %d: got %q, want %q (all: %v)", i+1, e.user, want[i], got)
		}
		if r, ok := tr.Rank(e.user); !ok || r != i+1 {
			t.Fatalf("Rank(%q) = %d, %v; want %d", e.user, r, ok, i+1)
		}
	}
	if err := tr.check(); err != nil {
		t.Fatal(err)
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
