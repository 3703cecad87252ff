package board

import "unsafe"

// MemBytes estimates the heap bytes held by the tree (for benchmarks): the
// capacity of every slice it owns plus its node headers.
func (t *Tree) MemBytes() int64 {
	b := int64(unsafe.Sizeof(*t)) + int64(cap(t.pfx))
	b += int64(cap(t.users.buf))
	b += int64(cap(t.index.tags)) + 8*int64(cap(t.index.slots))
	b += 8 * int64(cap(t.leaves)+cap(t.inners))
	b += 4 * int64(cap(t.freeLeaves)+cap(t.freeInners))
	b += int64(len(t.leaves)) * int64(unsafe.Sizeof(leaf{}))
	for _, in := range t.inners {
		b += int64(unsafe.Sizeof(*in)) + 8*int64(cap(in.seps)) + 4*int64(cap(in.kids)+cap(in.counts))
	}
	return b
}
