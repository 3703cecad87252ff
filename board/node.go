package board

// nilID marks a missing node (no parent, no neighbour).
const nilID = ^uint32(0)

// Entries and separators are stored as runs of s = w+1 words: the w key
// words, then a meta word that packs a reference to the user (low 32 bits)
// and the user's fingerprint (high 32 bits). An entry references its user by
// index slot; a separator, which may outlive its user, by record offset.
// Keeping key and meta in one array makes a tie break read the line the key
// was on, and a shift one memmove.

// meta packs a user reference and a fingerprint.
func meta(ref, fp uint32) int64 { return int64(uint64(fp)<<32 | uint64(ref)) }

// metaRef returns the user reference of a meta word: a slot for an entry, a
// record offset for a separator.
func metaRef(m int64) uint32 { return uint32(m) }

// metaFp returns the fingerprint of a meta word.
func metaFp(m int64) uint32 { return uint32(uint64(m) >> 32) }

// leafWords is the number of words of a leaf's entry array. With the
// header it makes a leaf exactly 2 KiB, a Go size class, and keeps header
// and entries in one allocation (one cache miss less per leaf visited).
const leafWords = 253

// leaf holds n entries in order in ents. It has no pointers, so the garbage
// collector never scans it.
type leaf struct {
	n          int
	parent     uint32
	prev, next uint32
	ents       [leafWords]int64
}

// inner holds n children in order. Separator j (j < n-1), in seps, is a lower
// bound of every entry under child j+1 and an upper bound (exclusive) of
// every entry under child j. counts[j] is the number of entries under child
// j.
type inner struct {
	seps     []int64
	kids     []uint32
	counts   []uint32
	n        int
	parent   uint32
	leafKids bool
}

// leaf returns the leaf with the given id.
func (t *Tree) leaf(id uint32) *leaf { return t.leaves[id] }

// newLeaf returns an empty leaf and its id, reusing a freed one if any.
func (t *Tree) newLeaf() (*leaf, uint32) {
	var id uint32
	if k := len(t.freeLeaves); k > 0 {
		id = t.freeLeaves[k-1]
		t.freeLeaves = t.freeLeaves[:k-1]
	} else {
		if len(t.leaves) == maxLeaves {
			panic("board: too many leaves")
		}
		id = uint32(len(t.leaves))
		t.leaves = append(t.leaves, new(leaf))
	}
	l := t.leaves[id]
	l.n, l.parent, l.prev, l.next = 0, nilID, nilID, nilID
	return l, id
}

// freeLeaf returns a leaf to the free list.
func (t *Tree) freeLeaf(id uint32) {
	t.leaf(id).n = 0
	t.freeLeaves = append(t.freeLeaves, id)
}

// newInner returns an empty inner node and its id, reusing a freed one if
// any.
func (t *Tree) newInner(leafKids bool) (*inner, uint32) {
	if k := len(t.freeInners); k > 0 {
		id := t.freeInners[k-1]
		t.freeInners = t.freeInners[:k-1]
		in := t.inners[id]
		in.n, in.parent, in.leafKids = 0, nilID, leafKids
		return in, id
	}
	c := t.cfg.innerCap
	in := &inner{
		seps:     make([]int64, c*t.s),
		kids:     make([]uint32, c),
		counts:   make([]uint32, c),
		parent:   nilID,
		leafKids: leafKids,
	}
	t.inners = append(t.inners, in)
	return in, uint32(len(t.inners) - 1)
}

// freeInner returns an inner node to the free list.
func (t *Tree) freeInner(id uint32) {
	t.inners[id].n = 0
	t.freeInners = append(t.freeInners, id)
}

// indexOf returns the position of the entry of the user in slot in l,
// searching outwards from hint.
func (l *leaf) indexOf(slot uint32, hint, s int) int {
	e := l.ents[:l.n*s]
	for i, j := min(hint, l.n-1), min(hint, l.n-1)+1; i >= 0 || j < l.n; i, j = i-1, j+1 {
		if i >= 0 && metaRef(e[i*s+s-1]) == slot {
			return i
		}
		if j < l.n && metaRef(e[j*s+s-1]) == slot {
			return j
		}
	}
	panic("board: corrupt tree: user entry not in its leaf")
}

// key returns the key words of entry i (aliasing the leaf).
func (l *leaf) key(i, s int) []int64 { return l.ents[i*s : i*s+s-1 : i*s+s-1] }

// meta returns the meta word of entry i.
func (l *leaf) meta(i, s int) int64 { return l.ents[i*s+s-1] }

// copyEntries copies n entries from src at si to dst at di; the ranges may
// overlap.
func copyEntries(dst *leaf, di int, src *leaf, si, n, s int) {
	copy(dst.ents[di*s:(di+n)*s], src.ents[si*s:(si+n)*s])
}

// setEntry sets entry i to p.
func (l *leaf) setEntry(i, s int, p *probe) {
	copy(l.ents[i*s:i*s+s-1], p.key)
	l.ents[i*s+s-1] = meta(p.slot, p.fp)
}

// insertAt puts entry p at position i, shifting later entries.
func (l *leaf) insertAt(i, s int, p *probe) {
	copyEntries(l, i+1, l, i, l.n-i, s)
	l.setEntry(i, s, p)
	l.n++
}

// removeAt deletes entry i, shifting later entries.
func (l *leaf) removeAt(i, s int) {
	copyEntries(l, i, l, i+1, l.n-i-1, s)
	l.n--
}

// indexOf returns the position of child id in in.
func (in *inner) indexOf(id uint32) int {
	for i, k := range in.kids[:in.n] {
		if k == id {
			return i
		}
	}
	panic("board: corrupt tree: node not among its parent's children")
}

// setSep sets separator j to entry i of l.
func (t *Tree) setSep(in *inner, j int, l *leaf, i int) {
	s := t.s
	copy(in.seps[j*s:j*s+s-1], l.key(i, s))
	m := l.meta(i, s)
	in.seps[j*s+s-1] = meta(t.index.off(metaRef(m)), metaFp(m))
}

// copySeps copies n separators from src at si to dst at di; the ranges may
// overlap.
func copySeps(dst *inner, di int, src *inner, si, n, s int) {
	copy(dst.seps[di*s:(di+n)*s], src.seps[si*s:(si+n)*s])
}

// copyKids copies n children (ids and counts) from src at si to dst at di;
// the ranges may overlap.
func copyKids(dst *inner, di int, src *inner, si, n int) {
	copy(dst.kids[di:di+n], src.kids[si:si+n])
	copy(dst.counts[di:di+n], src.counts[si:si+n])
}

// total returns the number of entries under in.
func (in *inner) total() int {
	s := 0
	for _, c := range in.counts[:in.n] {
		s += int(c)
	}
	return s
}
