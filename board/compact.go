package board

// compact rewrites the user arena without the records of deleted users, in
// board order, then renames records in the index and the separators.
func (t *Tree) compact() {
	buf := make([]byte, 0, len(t.users.buf)-t.users.dead)
	for id := t.head; id != nilID; id = t.leaf(id).next {
		l := t.leaf(id)
		for i := range l.n {
			slot := metaRef(l.meta(i, t.s))
			rec := t.users.record(t.index.off(slot))
			t.index.setOff(slot, uint32(len(buf)))
			buf = append(buf, rec...)
		}
	}
	t.users = arena{buf: buf}
	t.refreshSeps(t.root, t.height)
}

// refreshSeps sets every separator under node id (at the given height) to the
// first entry of the subtree on its right, and returns the leftmost leaf
// under id.
func (t *Tree) refreshSeps(id uint32, height int) (first uint32) {
	if height == 0 {
		return id
	}
	in := t.inners[id]
	for j := range in.n {
		lid := t.refreshSeps(in.kids[j], height-1)
		if j == 0 {
			first = lid
			continue
		}
		t.setSep(in, j-1, t.leaf(lid), 0)
	}
	return first
}
