package board

// removeAt deletes entry i of leaf id, updating subtree counts and
// rebalancing the tree.
func (t *Tree) removeAt(id uint32, i int) {
	l := t.leaf(id)
	l.removeAt(i, t.s)
	child, pid := id, l.parent
	for pid != nilID {
		p := t.inners[pid]
		p.counts[p.indexOf(child)]--
		child, pid = pid, p.parent
	}
	if l.n < t.cfg.minLeaf() && l.parent != nilID {
		t.leafUnderflow(id)
	}
}

// leafUnderflow merges the underfull leaf id with a sibling, or takes entries
// from it.
func (t *Tree) leafUnderflow(id uint32) {
	pid := t.leaf(id).parent
	p := t.inners[pid]
	i := p.indexOf(id)
	if i > 0 {
		i-- // pair with the left sibling
	}
	a, b := t.leaf(p.kids[i]), t.leaf(p.kids[i+1])
	if a.n+b.n > t.cfg.mergeLeaves() {
		t.shareLeaves(p, i)
		return
	}
	t.mergeLeaves(pid, i)
}

// mergeLeaves moves every entry of child i+1 of inner node pid into child i
// (both leaves) and drops child i+1.
func (t *Tree) mergeLeaves(pid uint32, i int) {
	p := t.inners[pid]
	aid, bid := p.kids[i], p.kids[i+1]
	a, b := t.leaf(aid), t.leaf(bid)
	copyEntries(a, a.n, b, 0, b.n, t.s)
	t.relocate(aid, a.n, a.n+b.n)
	a.n += b.n
	a.next = b.next
	if b.next != nilID {
		t.leaf(b.next).prev = aid
	}
	p.counts[i] += p.counts[i+1]
	t.freeLeaf(bid)
	t.dropKid(pid, i+1)
}

// dropKid removes child j (j >= 1) and separator j-1 from inner node pid,
// whose other counts already account for child j's entries, then rebalances
// pid.
func (t *Tree) dropKid(pid uint32, j int) {
	p := t.inners[pid]
	copyKids(p, j, p, j+1, p.n-j-1)
	copySeps(p, j-1, p, j, p.n-j-1, t.s)
	p.n--
	switch {
	case p.parent == nilID:
		if p.n == 1 { // the root has a single child: it becomes the root
			t.root = p.kids[0]
			t.setParent(t.root, p.leafKids, nilID)
			t.height--
			t.freeInner(pid)
		}
	case p.n < t.cfg.minInner():
		t.innerUnderflow(pid)
	}
}

// innerUnderflow merges the underfull inner node id with a sibling, or takes
// children from it.
func (t *Tree) innerUnderflow(id uint32) {
	ppid := t.inners[id].parent
	pp := t.inners[ppid]
	i := pp.indexOf(id)
	if i > 0 {
		i--
	}
	x, y := t.inners[pp.kids[i]], t.inners[pp.kids[i+1]]
	if x.n+y.n > t.cfg.mergeInners() {
		t.shareInners(pp, i)
		return
	}
	t.mergeInners(ppid, i)
}

// mergeInners moves every child of child i+1 of inner node ppid into child
// i (both inner nodes) and drops child i+1.
func (t *Tree) mergeInners(ppid uint32, i int) {
	pp := t.inners[ppid]
	xid, yid := pp.kids[i], pp.kids[i+1]
	x, y := t.inners[xid], t.inners[yid]
	s := t.s
	copySeps(x, x.n-1, pp, i, 1, s)
	copySeps(x, x.n, y, 0, y.n-1, s)
	copyKids(x, x.n, y, 0, y.n)
	for _, k := range y.kids[:y.n] {
		t.setParent(k, x.leafKids, xid)
	}
	x.n += y.n
	pp.counts[i] += pp.counts[i+1]
	t.freeInner(yid)
	t.dropKid(ppid, i+1)
}

// shareInners evens out the children of children i and i+1 of pp, two inner
// nodes, rotating separators through pp.
func (t *Tree) shareInners(pp *inner, i int) {
	xid, yid := pp.kids[i], pp.kids[i+1]
	x, y := t.inners[xid], t.inners[yid]
	s := t.s
	k := (x.n + y.n) / 2 // children x keeps
	switch {
	case x.n < k: // y's first m children go to the end of x
		m := k - x.n
		copySeps(x, x.n-1, pp, i, 1, s)
		copySeps(x, x.n, y, 0, m-1, s)
		copySeps(pp, i, y, m-1, 1, s)
		copyKids(x, x.n, y, 0, m)
		for _, kid := range y.kids[:m] {
			t.setParent(kid, x.leafKids, xid)
		}
		copyKids(y, 0, y, m, y.n-m)
		copySeps(y, 0, y, m, y.n-1-m, s)
		x.n, y.n = k, y.n-m
	case x.n > k: // x's last m children go to the front of y
		m := x.n - k
		copyKids(y, m, y, 0, y.n)
		copySeps(y, m, y, 0, y.n-1, s)
		copySeps(y, m-1, pp, i, 1, s)
		copySeps(y, 0, x, k, m-1, s)
		copySeps(pp, i, x, k-1, 1, s)
		copyKids(y, 0, x, k, m)
		for _, kid := range y.kids[:m] {
			t.setParent(kid, y.leafKids, yid)
		}
		x.n, y.n = k, y.n+m
	default:
		return
	}
	pp.counts[i], pp.counts[i+1] = uint32(x.total()), uint32(y.total())
}
