package board

// The user index names users by slot and the tree names them the same way,
// so whenever the index moves a user to another slot the entry is renamed.

// growIndex gives the user index half as many slots again, moving every
// user and renaming its entry. Users are moved in board order.
func (t *Tree) growIndex() {
	old := t.index
	n := len(old.tags) + len(old.tags)/2
	t.index.tags = make([]uint8, n)
	t.index.slots = make([]uint64, n)
	t.index.count = 0
	for id := t.head; id != nilID; id = t.leaf(id).next {
		l := t.leaf(id)
		for i := range l.n {
			k := i*t.s + t.s - 1
			m := l.ents[k]
			v := old.slots[metaRef(m)]
			off := uint32(v)
			slot := t.index.put(t.index.hashBytes(t.users.user(off)), off)
			t.index.slots[slot] = v
			l.ents[k] = meta(slot, metaFp(m))
		}
	}
}

// deleteSlot removes slot from the user index, renaming the entries of the
// users it shifts.
func (t *Tree) deleteSlot(slot uint32) {
	t.index.removeAt(&t.users, int(slot), func(from, to uint32) {
		id, hint := t.index.loc(to)
		l := t.leaf(id)
		i := l.indexOf(from, hint, t.s)
		k := i*t.s + t.s - 1
		l.ents[k] = meta(to, metaFp(l.ents[k]))
	})
}
