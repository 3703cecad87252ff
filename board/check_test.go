package board

import (
	"bytes"
	"fmt"
)

// entryRef is one entry seen while checking a tree.
type entryRef struct {
	key  []int64
	user []byte
}

// check verifies every structural invariant of t and returns the first
// violation found.
func (t *Tree) check() error {
	var leaves []uint32
	var prev *entryRef
	n, err := t.checkNode(t.root, t.height, nilID, nil, nil, &leaves, &prev)
	if err != nil {
		return err
	}
	if n != t.n {
		return fmt.Errorf("tree holds %d entries, Len is %d", n, t.n)
	}
	if len(leaves) == 0 || leaves[0] != t.head {
		return fmt.Errorf("head is %d, leftmost leaf is %v", t.head, leaves)
	}
	for i, id := range leaves {
		l := t.leaf(id)
		wantPrev, wantNext := nilID, nilID
		if i > 0 {
			wantPrev = leaves[i-1]
		}
		if i+1 < len(leaves) {
			wantNext = leaves[i+1]
		}
		if l.prev != wantPrev || l.next != wantNext {
			return fmt.Errorf("leaf %d links prev %d next %d, want %d %d", id, l.prev, l.next, wantPrev, wantNext)
		}
	}
	if t.index.count != t.n {
		return fmt.Errorf("index counts %d users, Len is %d", t.index.count, t.n)
	}
	used := 0
	for _, tag := range t.index.tags {
		if tag != 0 {
			used++
		}
	}
	if used != t.n {
		return fmt.Errorf("index has %d used slots, Len is %d", used, t.n)
	}
	if (t.index.count+1)*5 > len(t.index.tags)*4+5 {
		return fmt.Errorf("index load too high: %d in %d slots", t.index.count, len(t.index.tags))
	}
	for _, id := range leaves {
		l := t.leaf(id)
		for i := range l.n {
			slot := metaRef(l.meta(i, t.s))
			if t.index.tags[slot] == 0 {
				return fmt.Errorf("entry %d of leaf %d names empty slot %d", i, id, slot)
			}
			u := string(t.userOf(slot))
			if t.index.tags[slot] != tagOf(t.index.hash(u)) {
				return fmt.Errorf("slot %d of user %q has a wrong tag", slot, u)
			}
			gslot, gid, gi, ok := t.find(t.index.hash(u), u)
			if !ok || gslot != slot || gid != id || gi != i {
				return fmt.Errorf("find(%q) = slot %d leaf %d index %d (%v), entry is slot %d at %d %d", u, gslot, gid, gi, ok, slot, id, i)
			}
		}
	}
	for _, id := range t.freeLeaves {
		if t.leaf(id).n != 0 {
			return fmt.Errorf("free leaf %d holds entries", id)
		}
	}
	if got := len(leaves) + len(t.freeLeaves); got != len(t.leaves) {
		return fmt.Errorf("%d reachable + %d free leaves, %d allocated", len(leaves), len(t.freeLeaves), len(t.leaves))
	}
	return nil
}

// checkNode verifies the subtree at id (of the given height, child of
// parent) whose entries must lie in [lo, hi) (nil for unbounded), appends
// its leaves in order and returns its entry count.
func (t *Tree) checkNode(id uint32, height int, parent uint32, lo, hi *entryRef, leaves *[]uint32, prev **entryRef) (int, error) {
	s := t.s
	if height == 0 {
		l := t.leaf(id)
		if l.parent != parent {
			return 0, fmt.Errorf("leaf %d has parent %d, want %d", id, l.parent, parent)
		}
		if l.n > t.cfg.leafCap-1 || parent != nilID && l.n < t.cfg.minLeaf() {
			return 0, fmt.Errorf("leaf %d holds %d entries (cap %d)", id, l.n, t.cfg.leafCap)
		}
		*leaves = append(*leaves, id)
		for i := range l.n {
			m := l.meta(i, s)
			e := &entryRef{key: l.key(i, s), user: t.userOf(metaRef(m))}
			if !bytes.HasPrefix(e.user, t.pfx) || metaFp(m) != t.fingerprint(e.user) {
				return 0, fmt.Errorf("user %q (prefix %q) has fingerprint %x, want %x", e.user, t.pfx, metaFp(m), t.fingerprint(e.user))
			}
			if got, _ := t.index.loc(metaRef(m)); got != id {
				return 0, fmt.Errorf("record of %q names leaf %d, entry is in %d", e.user, got, id)
			}
			if lo != nil && cmpEntry(e.key, e.user, lo.key, lo.user) < 0 {
				return 0, fmt.Errorf("entry %v %q below separator %v %q", e.key, e.user, lo.key, lo.user)
			}
			if hi != nil && cmpEntry(e.key, e.user, hi.key, hi.user) >= 0 {
				return 0, fmt.Errorf("entry %v %q not below separator %v %q", e.key, e.user, hi.key, hi.user)
			}
			if p := *prev; p != nil && cmpEntry(p.key, p.user, e.key, e.user) >= 0 {
				return 0, fmt.Errorf("entries out of order: %v %q then %v %q", p.key, p.user, e.key, e.user)
			}
			*prev = e
		}
		return l.n, nil
	}
	in := t.inners[id]
	if in.parent != parent {
		return 0, fmt.Errorf("inner %d has parent %d, want %d", id, in.parent, parent)
	}
	if in.leafKids != (height == 1) {
		return 0, fmt.Errorf("inner %d at height %d has leafKids %v", id, height, in.leafKids)
	}
	minKids := t.cfg.minInner()
	if parent == nilID {
		minKids = 2
	}
	if in.n < minKids || in.n > t.cfg.innerCap-1 {
		return 0, fmt.Errorf("inner %d has %d children (cap %d)", id, in.n, t.cfg.innerCap)
	}
	total := 0
	for j := range in.n {
		clo, chi := lo, hi
		if j > 0 {
			clo = &entryRef{key: in.sep(j-1, s), user: t.users.user(metaRef(in.sepMeta(j-1, s)))}
		}
		if j < in.n-1 {
			chi = &entryRef{key: in.sep(j, s), user: t.users.user(metaRef(in.sepMeta(j, s)))}
		}
		if j < in.n-1 && metaFp(in.sepMeta(j, s)) != t.fingerprint(chi.user) {
			return 0, fmt.Errorf("inner %d separator %d has fingerprint %x, want %x", id, j, metaFp(in.sepMeta(j, s)), t.fingerprint(chi.user))
		}
		if clo != nil && chi != nil && cmpEntry(clo.key, clo.user, chi.key, chi.user) >= 0 {
			return 0, fmt.Errorf("inner %d separators out of order at %d", id, j)
		}
		c, err := t.checkNode(in.kids[j], height-1, id, clo, chi, leaves, prev)
		if err != nil {
			return 0, err
		}
		if c != int(in.counts[j]) {
			return 0, fmt.Errorf("inner %d child %d counts %d, holds %d", id, j, in.counts[j], c)
		}
		total += c
	}
	return total, nil
}

// sameEntry reports whether two keys and users are equal.
func sameEntry(ak []int64, au string, bk []int64, bu string) bool {
	return cmpWords(ak, bk) == 0 && len(ak) == len(bk) && bytes.Equal([]byte(au), []byte(bu))
}

// cmpEntry compares the entry (ak, au) with the entry (bk, bu): key words
// first, then user ids bytewise.
func cmpEntry(ak []int64, au []byte, bk []int64, bu []byte) int {
	if c := cmpWords(ak, bk); c != 0 {
		return c
	}
	return bytes.Compare(au, bu)
}

// sep returns the key words of separator j (aliasing the node).
func (in *inner) sep(j, s int) []int64 { return in.seps[j*s : j*s+s-1 : j*s+s-1] }

// sepMeta returns the meta word of separator j.
func (in *inner) sepMeta(j, s int) int64 { return in.seps[j*s+s-1] }
