package board

import "hash/maphash"

// userIndex maps user ids to slots: an open-addressing hash table with
// linear probing. Slot i holds, when tags[i] != 0:
//
//   - tags[i]: 0x80 | 7 high bits of the id's hash, so that most probes
//     never read the arena;
//   - the low 32 bits of slots[i]: the offset of the user's record;
//   - the high 32 bits of slots[i]: the user's location, the id of the leaf
//     that holds the user's entry (24 bits) and a hint of the entry's index
//     in it (8 bits). The hint is exact when written but goes stale as
//     neighbours shift; searches start there.
//
// A user is named inside the tree by its slot number. The slot also tells
// where the user's entry is, so reaching the entry does not wait for the
// record read that confirms the id. Slots move when the table grows and when
// a deletion shifts later entries back (there are no tombstones); the Tree
// renames the entries then (slots.go).
//
// The table has any number of slots, not only powers of two, and grows by
// half, which keeps its load between 0.53 and 0.8.
type userIndex struct {
	seed  maphash.Seed
	tags  []uint8
	slots []uint64
	count int
}

const (
	// minIndexSlots is the size of a new table.
	minIndexSlots = 8
	// maxLeaves bounds leaf ids to the 24 bits a location has for them.
	maxLeaves = 1 << 24
)

func newUserIndex() userIndex {
	return userIndex{
		seed:  maphash.MakeSeed(),
		tags:  make([]uint8, minIndexSlots),
		slots: make([]uint64, minIndexSlots),
	}
}

func (x *userIndex) hash(user string) uint64 { return maphash.String(x.seed, user) }

func (x *userIndex) hashBytes(user []byte) uint64 { return maphash.Bytes(x.seed, user) }

func tagOf(h uint64) uint8 { return uint8(h>>57) | 0x80 }

// home returns the first slot of h's probe sequence.
func (x *userIndex) home(h uint64) int {
	return int(uint64(uint32(h)) * uint64(len(x.tags)) >> 32)
}

// off returns the record offset of slot i.
func (x *userIndex) off(i uint32) uint32 { return uint32(x.slots[i]) }

// loc returns the leaf id and index hint of slot i.
func (x *userIndex) loc(i uint32) (leaf uint32, hint int) {
	v := uint32(x.slots[i] >> 32)
	return v >> 8, int(v & 0xff)
}

// setLoc stores the leaf id and entry index of slot i.
func (x *userIndex) setLoc(i, leaf uint32, idx int) {
	x.slots[i] = uint64(leaf<<8|uint32(idx))<<32 | uint64(uint32(x.slots[i]))
}

// find returns the slot holding user, or ok false.
func (x *userIndex) find(a *arena, h uint64, user string) (slot uint32, ok bool) {
	tag := tagOf(h)
	n := len(x.tags)
	for i := x.home(h); ; {
		switch x.tags[i] {
		case 0:
			return 0, false
		case tag:
			if string(a.user(uint32(x.slots[i]))) == user {
				return uint32(i), true
			}
		}
		if i++; i == n {
			i = 0
		}
	}
}

// full reports whether one more user needs a bigger table.
func (x *userIndex) full() bool { return (x.count+1)*5 > len(x.tags)*4 }

// put stores record off in the first empty slot of h's probe sequence and
// returns that slot. The location is left unset.
func (x *userIndex) put(h uint64, off uint32) uint32 {
	n := len(x.tags)
	i := x.home(h)
	for x.tags[i] != 0 {
		if i++; i == n {
			i = 0
		}
	}
	x.tags[i] = tagOf(h)
	x.slots[i] = uint64(off)
	x.count++
	return uint32(i)
}

// removeAt empties slot i and shifts back the later entries of its cluster
// that would otherwise become unreachable, calling moved(from, to) for each.
func (x *userIndex) removeAt(a *arena, i int, moved func(from, to uint32)) {
	x.count--
	n := len(x.tags)
	for {
		x.tags[i] = 0
		j := i
		for {
			if j++; j == n {
				j = 0
			}
			if x.tags[j] == 0 {
				return
			}
			home := x.home(x.hashBytes(a.user(uint32(x.slots[j]))))
			// The entry at j may move to i unless its home lies
			// cyclically in (i, j].
			if i <= j {
				if home <= i || home > j {
					break
				}
			} else if home <= i && home > j {
				break
			}
		}
		x.tags[i] = x.tags[j]
		x.slots[i] = x.slots[j]
		moved(uint32(j), uint32(i))
		i = j
	}
}

// setOff stores the record offset of slot i.
func (x *userIndex) setOff(i, off uint32) {
	x.slots[i] = x.slots[i]&^0xffffffff | uint64(off)
}
