package board

// insertEntry adds the entry p, whose user is not in the tree, and records
// its place in the user's index slot.
func (t *Tree) insertEntry(p *probe) {
	id := t.root
	for lvl := t.height; lvl > 0; lvl-- {
		in := t.inners[id]
		i := t.childIndex(in, p)
		in.counts[i]++
		id = in.kids[i]
	}
	l := t.leaf(id)
	i := t.lowerBound(l, p)
	l.insertAt(i, t.s, p)
	t.index.setLoc(p.slot, id, i)
	if l.n == t.cfg.leafCap {
		t.leafOverflow(id)
	}
}

// relocate records in their index slots that entries from..to-1 of leaf id
// are there.
func (t *Tree) relocate(id uint32, from, to int) {
	l := t.leaf(id)
	for i := from; i < to; i++ {
		t.index.setLoc(metaRef(l.meta(i, t.s)), id, i)
	}
}

// leafOverflow brings the full leaf id back under capacity: it hands entries
// to a sibling with enough room, or else splits.
func (t *Tree) leafOverflow(id uint32) {
	l := t.leaf(id)
	if l.parent != nilID {
		p := t.inners[l.parent]
		i := p.indexOf(id)
		limit := t.cfg.leafCap - 1 - t.cfg.shareRoom()
		if i > 0 && t.leaf(p.kids[i-1]).n <= limit {
			t.shareLeaves(p, i-1)
			return
		}
		if i+1 < p.n && t.leaf(p.kids[i+1]).n <= limit {
			t.shareLeaves(p, i)
			return
		}
	}
	t.splitLeaf(id)
}

// splitLeaf moves the upper half of leaf id to a new right neighbour.
func (t *Tree) splitLeaf(id uint32) {
	l := t.leaf(id)
	r, rid := t.newLeaf()
	m := l.n / 2
	r.n = l.n - m
	copyEntries(r, 0, l, m, r.n, t.s)
	l.n = m
	t.relocate(rid, 0, r.n)
	r.prev, r.next = id, l.next
	if l.next != nilID {
		t.leaf(l.next).prev = rid
	}
	l.next = rid
	if l.parent == nilID {
		root := t.newRoot(id, l.n, rid, r.n, true)
		t.setSep(root, 0, r, 0)
		return
	}
	p := t.inners[l.parent]
	j := t.addKid(l.parent, id, rid, r.n, true)
	t.setSep(p, j-1, r, 0)
	if p.n == t.cfg.innerCap {
		t.splitInner(l.parent)
	}
}

// newRoot makes a root over the old root id, holding count entries, and its
// new right sibling nid, holding ncount. The caller sets the separator.
func (t *Tree) newRoot(id uint32, count int, nid uint32, ncount int, leafKids bool) *inner {
	root, rootID := t.newInner(leafKids)
	root.n = 2
	root.kids[0], root.kids[1] = id, nid
	root.counts[0], root.counts[1] = uint32(count), uint32(ncount)
	t.setParent(id, leafKids, rootID)
	t.setParent(nid, leafKids, rootID)
	t.root = rootID
	t.height++
	return root
}

// addKid inserts child nid, holding ncount entries that child id held
// before, right after id in inner node pid. It returns the new child's
// index; the caller sets the separator before it and splits pid if full.
func (t *Tree) addKid(pid, id, nid uint32, ncount int, leafKids bool) int {
	p := t.inners[pid]
	j := p.indexOf(id) + 1
	copyKids(p, j+1, p, j, p.n-j)
	copySeps(p, j, p, j-1, p.n-j, t.s)
	p.kids[j] = nid
	p.counts[j] = uint32(ncount)
	p.counts[j-1] -= uint32(ncount)
	p.n++
	t.setParent(nid, leafKids, pid)
	return j
}

// splitInner moves the upper half of the children of inner node id to a new
// right neighbour; the separator between the halves moves up.
func (t *Tree) splitInner(id uint32) {
	x := t.inners[id]
	y, yid := t.newInner(x.leafKids)
	s, m := t.s, x.n/2
	y.n = x.n - m
	copyKids(y, 0, x, m, y.n)
	copySeps(y, 0, x, m, y.n-1, s)
	x.n = m
	for _, k := range y.kids[:y.n] {
		t.setParent(k, y.leafKids, yid)
	}
	// Separator m-1 of x still holds the separator between the halves.
	var p *inner
	var j int
	if x.parent == nilID {
		p, j = t.newRoot(id, x.total(), yid, y.total(), false), 1
	} else {
		p, j = t.inners[x.parent], t.addKid(x.parent, id, yid, y.total(), false)
	}
	copySeps(p, j-1, x, m-1, 1, s)
	if p.n == t.cfg.innerCap {
		t.splitInner(y.parent)
	}
}

// setParent sets the parent of node id, a leaf when isLeaf.
func (t *Tree) setParent(id uint32, isLeaf bool, parent uint32) {
	if isLeaf {
		t.leaf(id).parent = parent
	} else {
		t.inners[id].parent = parent
	}
}

// shareLeaves evens out the entries of children i and i+1 of p, two leaves.
func (t *Tree) shareLeaves(p *inner, i int) {
	aid, bid := p.kids[i], p.kids[i+1]
	a, b := t.leaf(aid), t.leaf(bid)
	s := t.s
	k := (a.n + b.n + 1) / 2 // entries a keeps
	switch {
	case a.n > k: // a's last m entries go to the front of b
		m := a.n - k
		copyEntries(b, m, b, 0, b.n, s)
		copyEntries(b, 0, a, k, m, s)
		a.n, b.n = k, b.n+m
		t.relocate(bid, 0, m)
	case a.n < k: // b's first m entries go to the end of a
		m := k - a.n
		copyEntries(a, a.n, b, 0, m, s)
		copyEntries(b, 0, b, m, b.n-m, s)
		t.relocate(aid, a.n, k)
		a.n, b.n = k, b.n-m
	}
	p.counts[i], p.counts[i+1] = uint32(a.n), uint32(b.n)
	t.setSep(p, i, b, 0)
}
