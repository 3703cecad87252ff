package board

import "bytes"

// probe is an entry being placed: key words, user slot, fingerprint and id
// bytes (aliasing the arena).
type probe struct {
	key  []int64
	slot uint32
	fp   uint32
	user []byte
}

// cmpWords compares two keys of the same length word by word.
func cmpWords(a, b []int64) int {
	for i, x := range a {
		if y := b[i]; x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// cmpUser breaks a tie on the key words between p and the user of the
// entry meta word m.
func (t *Tree) cmpUser(p *probe, m int64) int {
	if fp := metaFp(m); p.fp != fp {
		if p.fp < fp {
			return -1
		}
		return 1
	}
	return bytes.Compare(p.user, t.users.user(t.index.off(metaRef(m))))
}

// cmpSepUser breaks a tie on the key words between p and the user of the
// separator meta word m.
func (t *Tree) cmpSepUser(p *probe, m int64) int {
	if fp := metaFp(m); p.fp != fp {
		if p.fp < fp {
			return -1
		}
		return 1
	}
	return bytes.Compare(p.user, t.users.user(metaRef(m)))
}

// lowerBound returns the number of entries of l that order before p.
func (t *Tree) lowerBound(l *leaf, p *probe) int { return t.search(l.ents[:], l.n, p, false) }

// childIndex returns the child of in whose range holds p: the number of
// separators that are less than or equal to it.
func (t *Tree) childIndex(in *inner, p *probe) int { return t.search(in.seps, in.n-1, p, true) }

// below reports whether entry i of e orders before p or, for separators
// (sep true), before or equal to it.
func (t *Tree) below(e []int64, i int, p *probe, sep bool) bool {
	s := t.s
	if t.w == 1 {
		if k := e[2*i]; k != p.key[0] {
			return k < p.key[0]
		}
	} else if c := cmpWords(e[i*s:i*s+s-1], p.key); c != 0 {
		return c < 0
	}
	if sep {
		return t.cmpSepUser(p, e[i*s+s-1]) >= 0
	}
	return t.cmpUser(p, e[i*s+s-1]) > 0
}

// search returns the number of the n entries of e that are below p.
func (t *Tree) search(e []int64, n int, p *probe, sep bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.below(e, m, p, sep) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// cmpLeafEntry compares p with entry i of l.
func (t *Tree) cmpLeafEntry(p *probe, l *leaf, i int) int {
	if c := cmpWords(p.key, l.key(i, t.s)); c != 0 {
		return c
	}
	return t.cmpUser(p, l.meta(i, t.s))
}
