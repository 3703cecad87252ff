package board

import (
	"encoding/binary"
	"fmt"
	"math"
)

// arena interns user ids. Each user id is stored once as a record, named by
// its offset: the id length (uvarint) then the id bytes.
//
// Records are only appended; a deleted user's record stays until the arena is
// rewritten by Tree.compact, so a record never changes while its offset is
// in use. Separators rely on that: they name users by record offset.
type arena struct {
	buf []byte
	// dead counts the bytes of records whose user was deleted.
	dead int
}

// add appends a record for user and returns its offset. It panics when the
// arena would outgrow the 32-bit offsets.
func (a *arena) add(user string) uint32 {
	off := len(a.buf)
	if off+binary.MaxVarintLen64+len(user) > math.MaxUint32 {
		panic(fmt.Sprintf("board: user id arena exceeds 4 GiB (%d bytes)", off))
	}
	a.buf = binary.AppendUvarint(a.buf, uint64(len(user)))
	a.buf = append(a.buf, user...)
	return uint32(off)
}

// user returns the id bytes of the record at off. The slice aliases the arena.
func (a *arena) user(off uint32) []byte {
	b := a.buf[off:]
	if n := int(b[0]); n < 0x80 {
		return b[1 : 1+n : 1+n]
	}
	n, k := binary.Uvarint(b)
	return b[k : k+int(n) : k+int(n)]
}

// record returns all bytes of the record at off.
func (a *arena) record(off uint32) []byte {
	n, k := binary.Uvarint(a.buf[off:])
	return a.buf[off : int(off)+k+int(n)]
}
