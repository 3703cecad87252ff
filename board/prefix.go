package board

import "encoding/binary"

// Fingerprints make ties on the key words cheap to break. A user's
// fingerprint is the 4 bytes of its id that follow the prefix shared by
// every id ever inserted (big endian, zero padded). For two ids with that
// prefix, unequal fingerprints order as the ids do, so the arena is read only
// when fingerprints are equal too. Skipping the shared prefix matters for ids
// such as "u_1234567", whose first bytes are all alike.

// maxPrefix bounds the length of the shared prefix.
const maxPrefix = 64

// fingerprint returns the fingerprint of user, which has the shared prefix.
func (t *Tree) fingerprint(user []byte) uint32 {
	b := user[len(t.pfx):]
	if len(b) >= 4 {
		return binary.BigEndian.Uint32(b)
	}
	var v uint32
	for i := range 4 {
		v <<= 8
		if i < len(b) {
			v |= uint32(b[i])
		}
	}
	return v
}

// notePrefix shortens the shared prefix so that user has it. Shortening
// recomputes every fingerprint: O(n), and at most maxPrefix times in a
// tree's life.
func (t *Tree) notePrefix(user string) {
	if !t.pfxSet {
		t.pfx = []byte(user[:min(len(user), maxPrefix)])
		t.pfxSet = true
		return
	}
	c := 0
	for c < len(t.pfx) && c < len(user) && t.pfx[c] == user[c] {
		c++
	}
	if c == len(t.pfx) {
		return
	}
	t.pfx = t.pfx[:c]
	for _, l := range t.leaves {
		for i := range l.n {
			k := i*t.s + t.s - 1
			slot := metaRef(l.ents[k])
			l.ents[k] = meta(slot, t.fingerprint(t.users.user(t.index.off(slot))))
		}
	}
	for _, in := range t.inners {
		for j := 0; j < in.n-1; j++ {
			k := j*t.s + t.s - 1
			off := metaRef(in.seps[k])
			in.seps[k] = meta(off, t.fingerprint(t.users.user(off)))
		}
	}
}
