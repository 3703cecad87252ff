package board

import (
	"fmt"
	"slices"
)

// Tree is one leaderboard: entries ordered by key words (ascending, as
// int64), then by user id (ascending, bytewise). The zero value is not
// usable; call New. A Tree is not safe for concurrent use, not even by
// readers only: Get and Rank update internal hints.
type Tree struct {
	w   int // key words
	s   int // words per stored entry: w key words and a meta word
	cfg config
	n   int

	users arena
	index userIndex

	leaves []*leaf
	inners []*inner
	// freeLeaves and freeInners list node ids that can be reused.
	freeLeaves []uint32
	freeInners []uint32
	// root is a leaf when height is 0, else an inner node.
	root   uint32
	height int
	// head is the leftmost leaf.
	head uint32

	// pfx is the prefix shared by every user id inserted, which
	// fingerprints skip (see prefix.go); pfxSet is false until the first
	// insert.
	pfx    []byte
	pfxSet bool
}

// New returns an empty tree whose keys have nwords int64 words (1..8).
// It panics if nwords is out of range.
func New(nwords int) *Tree {
	return newTree(nwords, defaultConfig(nwords))
}

// newTree returns an empty tree with the given node sizes.
func newTree(nwords int, cfg config) *Tree {
	if nwords < 1 || nwords > 8 {
		panic(fmt.Sprintf("board: nwords %d out of range 1..8", nwords))
	}
	if cfg.leafCap < 4 || cfg.leafCap*(nwords+1) > leafWords || cfg.leafCap > 256 || cfg.innerCap < 4 {
		panic("board: node capacity out of range")
	}
	t := &Tree{w: nwords, s: nwords + 1, cfg: cfg, index: newUserIndex()}
	_, t.root = t.newLeaf()
	t.head = t.root
	return t
}

// NWords returns the number of int64 words of every key.
func (t *Tree) NWords() int { return t.w }

// Len returns the number of entries.
func (t *Tree) Len() int { return t.n }

// checkKey panics unless key has the tree's number of words.
func (t *Tree) checkKey(key []int64) {
	if len(key) != t.w {
		panic(fmt.Sprintf("board: key has %d words, tree has %d", len(key), t.w))
	}
}

// find returns user's slot and the leaf and index of its entry. h is the
// hash of user. It refreshes the slot's index hint, so even read methods
// write to the tree.
func (t *Tree) find(h uint64, user string) (slot, id uint32, i int, ok bool) {
	slot, ok = t.index.find(&t.users, h, user)
	if !ok {
		return 0, 0, 0, false
	}
	id, hint := t.index.loc(slot)
	i = t.leaf(id).indexOf(slot, hint, t.s)
	if i != hint {
		t.index.setLoc(slot, id, i)
	}
	return slot, id, i, true
}

// userOf returns the id bytes of the user in slot (aliasing the arena).
func (t *Tree) userOf(slot uint32) []byte { return t.users.user(t.index.off(slot)) }

// Upsert inserts user with key, or moves it when its key changed. Returns the
// previous key (nil if new; the slice must not alias internal memory) and
// whether anything changed. It panics if len(key) != NWords().
func (t *Tree) Upsert(user string, key []int64) (old []int64, changed bool) {
	t.checkKey(key)
	h := t.index.hash(user)
	slot, id, i, found := t.find(h, user)
	if !found {
		t.notePrefix(user)
		if t.index.full() {
			t.growIndex()
		}
		off := t.users.add(user)
		u := t.users.user(off)
		slot := t.index.put(h, off)
		t.insertEntry(&probe{key: key, slot: slot, fp: t.fingerprint(u), user: u})
		t.n++
		return nil, true
	}
	l := t.leaf(id)
	cur := l.key(i, t.s)
	old = slices.Clone(cur)
	if cmpWords(cur, key) == 0 {
		return old, false
	}
	p := &probe{key: key, slot: slot, fp: metaFp(l.meta(i, t.s)), user: t.userOf(slot)}
	// Fast path: the new entry lies between the leaf's first and last
	// entries, so it stays in this leaf and no count changes.
	if l.n > 1 && t.cmpLeafEntry(p, l, 0) > 0 && t.cmpLeafEntry(p, l, l.n-1) < 0 {
		t.index.setLoc(slot, id, t.moveInLeaf(l, i, p))
		return old, true
	}
	t.removeAt(id, i)
	t.insertEntry(p)
	return old, true
}

// moveInLeaf gives entry i of l the new key of p, which lies within l's
// range, moves it to its new place in l and returns that place.
func (t *Tree) moveInLeaf(l *leaf, i int, p *probe) int {
	j := t.lowerBound(l, p) // counts entry i itself when it orders before
	if j > i {
		j-- // entries i+1..j shift left
		copyEntries(l, i, l, i+1, j-i, t.s)
	} else {
		copyEntries(l, j+1, l, j, i-j, t.s)
	}
	l.setEntry(j, t.s, p)
	return j
}

// Delete removes user. It returns the user's key (a copy) and whether the
// user was present.
func (t *Tree) Delete(user string) (old []int64, ok bool) {
	slot, id, i, found := t.find(t.index.hash(user), user)
	if !found {
		return nil, false
	}
	old = slices.Clone(t.leaf(id).key(i, t.s))
	t.removeAt(id, i)
	t.users.dead += len(t.users.record(t.index.off(slot)))
	t.deleteSlot(slot)
	t.n--
	if t.users.dead >= t.cfg.compactMin && t.users.dead*2 > len(t.users.buf) {
		t.compact()
	}
	return old, true
}

// Get returns a copy of user's key.
func (t *Tree) Get(user string) (key []int64, ok bool) {
	_, id, i, ok := t.find(t.index.hash(user), user)
	if !ok {
		return nil, false
	}
	return slices.Clone(t.leaf(id).key(i, t.s)), true
}

// Rank returns user's 1-based position.
func (t *Tree) Rank(user string) (pos int, ok bool) {
	_, id, i, ok := t.find(t.index.hash(user), user)
	if !ok {
		return 0, false
	}
	pos = i + 1
	child, pid := id, t.leaf(id).parent
	for pid != nilID {
		p := t.inners[pid]
		for j, k := range p.kids[:p.n] {
			if k == child {
				break
			}
			pos += int(p.counts[j])
		}
		child, pid = pid, p.parent
	}
	return pos, true
}

// locate returns the leaf and index of the entry at 0-based position pos,
// which must be below Len.
func (t *Tree) locate(pos int) (uint32, int) {
	id := t.root
	for lvl := t.height; lvl > 0; lvl-- {
		in := t.inners[id]
		j := 0
		for pos >= int(in.counts[j]) {
			pos -= int(in.counts[j])
			j++
		}
		id = in.kids[j]
	}
	return id, pos
}

// At returns the entry at 1-based position pos; the key is a copy.
func (t *Tree) At(pos int) (user string, key []int64, ok bool) {
	if pos < 1 || pos > t.n {
		return "", nil, false
	}
	id, i := t.locate(pos - 1)
	l := t.leaf(id)
	return string(t.userOf(metaRef(l.meta(i, t.s)))), slices.Clone(l.key(i, t.s)), true
}

// FirstWordAt returns the first word of the key at 1-based position pos
// (a board's score word) without copying the key or the user: what a rank's
// gap to the position above needs, for every watched user on every tick.
func (t *Tree) FirstWordAt(pos int) (int64, bool) {
	if pos < 1 || pos > t.n {
		return 0, false
	}
	id, i := t.locate(pos - 1)
	return t.leaf(id).key(i, t.s)[0], true
}

// Range calls fn for positions from..from+n-1 (1-based) in order, stopping
// early if fn returns false. key passed to fn may be reused after fn returns.
// Positions outside 1..Len are skipped. fn must not modify the tree.
func (t *Tree) Range(from, n int, fn func(pos int, user string, key []int64) bool) {
	if n <= 0 || from > t.n {
		return
	}
	if from < 1 { // skip the 1-from positions before the first
		skip := uint(1) - uint(from)
		if uint(n) <= skip {
			return
		}
		n, from = int(uint(n)-skip), 1
	}
	last := t.n
	if n < last-from+1 {
		last = from + n - 1
	}
	id, i := t.locate(from - 1)
	key := make([]int64, t.w)
	for pos := from; pos <= last; pos++ {
		l := t.leaf(id)
		copy(key, l.key(i, t.s))
		if !fn(pos, string(t.userOf(metaRef(l.meta(i, t.s)))), key) {
			return
		}
		if i++; i == l.n {
			id, i = l.next, 0
		}
	}
}

// Each visits every entry in order, stopping early if fn returns false. key
// passed to fn may be reused after fn returns. fn must not modify the tree.
func (t *Tree) Each(fn func(pos int, user string, key []int64) bool) {
	t.Range(1, t.n, fn)
}
