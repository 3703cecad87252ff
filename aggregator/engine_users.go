package aggregator

import (
	"hash/maphash"
	"strings"
	"unsafe"

	"github.com/rankstream/rankstream/event"
)

// The users of a partition: by user id, the first node of the user's list
// of windows (userWin). A scorer holds millions of users, so both the id
// and the index entry are kept small:
//
//   - userTable is an open-addressing table of the first nodes themselves
//     (8 bytes a slot, linear probing, at most 3/4 full), each node holding
//     its user's id. A map[string]*userWin takes 24 bytes a slot plus a
//     control byte, and at 1M users in 64 partitions its tables are about
//     half full (≈ 52 bytes a user instead of ≈ 15).
//   - userIDs packs the ids into shared chunks instead of a small
//     allocation each: a small string allocated while scoring sits in a span
//     among the event's garbage of its size class, and after a GC the span
//     stays in use for the one id it still holds (≈ 20 bytes of heap in use
//     per user and board at 100k users beyond the id itself).
type userTable struct {
	slots []*userWin // nil: empty; len a power of two (or 0)
	n     int        // users held
	seed  maphash.Seed
}

const userTableMin = 16

func newUserTable() userTable { return userTable{seed: maphash.MakeSeed()} }

// home is the slot where a search for user starts.
func (t *userTable) home(user string) int {
	return int(maphash.String(t.seed, user) & uint64(len(t.slots)-1))
}

// find returns the slot of user, or the empty slot where it would go (and
// false); the table must have a slot.
func (t *userTable) find(user string) (int, bool) {
	mask := len(t.slots) - 1
	for i := t.home(user); ; i = (i + 1) & mask {
		switch n := t.slots[i]; {
		case n == nil:
			return i, false
		case n.user == user:
			return i, true
		}
	}
}

// get returns the first node of user's windows, or nil.
func (t *userTable) get(user string) *userWin {
	if t.n == 0 {
		return nil
	}
	if i, ok := t.find(user); ok {
		return t.slots[i]
	}
	return nil
}

// set makes head, which holds its user's id, the first node of that user.
// Replacing the node of a user held never moves another (each relies on it).
func (t *userTable) set(head *userWin) {
	if len(t.slots) > 0 {
		if i, ok := t.find(head.user); ok {
			t.slots[i] = head
			return
		}
	}
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(2*len(t.slots), userTableMin))
	}
	i, _ := t.find(head.user)
	t.slots[i] = head
	t.n++
}

// del drops user (backward-shift deletion: no tombstones), and halves the
// table when it is under 1/8 full.
func (t *userTable) del(user string) {
	if t.n == 0 {
		return
	}
	i, ok := t.find(user)
	if !ok {
		return
	}
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j] != nil; j = (j + 1) & mask {
		// slots[j] may move to the hole at i when its home is not in (i, j]
		if h := t.home(t.slots[j].user); (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = nil
	t.n--
	if len(t.slots) > userTableMin && t.n*8 < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
}

func (t *userTable) resize(size int) {
	old := t.slots
	t.slots = make([]*userWin, size)
	for _, n := range old {
		if n != nil {
			i, _ := t.find(n.user)
			t.slots[i] = n
		}
	}
}

// each calls fn for the first node of every user; fn may replace the node
// it is given (set) but must not add or drop a user.
func (t *userTable) each(fn func(head *userWin)) {
	for _, n := range t.slots {
		if n != nil {
			fn(n)
		}
	}
}

// userIDs holds a partition's user ids (and, in a second one, its seen
// dedup keys) packed into shared chunks. A chunk is freed by the GC once
// no string in it is held, so a chunk kept by one of its strings is the
// most that is lost: at most idChunk bytes per string held, and in
// practice the strings that stay (the ids of the users that stay; the keys
// of one stretch of the stream, which the prune of their ts buckets drops
// together).
type userIDs struct {
	buf []byte // the current chunk; strings are appended until it is full
}

// idChunk is the size of a chunk; an id longer than idOwnAt, or a key
// longer than keyOwnAt, gets a copy of its own.
const (
	idChunk  = 1024
	idOwnAt  = 64
	keyOwnAt = 256
)

// room makes room for n more bytes in the current chunk.
func (a *userIDs) room(n int) {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, idChunk)
	}
}

// intern returns a copy of id that shares its memory with other ids of
// the partition.
func (a *userIDs) intern(id string) string {
	if len(id) == 0 || len(id) > idOwnAt {
		return strings.Clone(id)
	}
	a.room(len(id))
	at := len(a.buf)
	a.buf = append(a.buf, id...)
	return unsafe.String(&a.buf[at], len(id)) // never written again
}

// dedupKey returns event.DedupKey(prov, user, id) in memory shared with
// the partition's other keys: no allocation of its own per event.
func (a *userIDs) dedupKey(prov, user, id string) string {
	n := event.DedupKeyLen(prov, user, id)
	if n > keyOwnAt {
		return event.DedupKey(prov, user, id)
	}
	a.room(n)
	at := len(a.buf)
	a.buf = event.AppendDedupKey(a.buf, prov, user, id)
	return unsafe.String(&a.buf[at], n) // never written again
}
