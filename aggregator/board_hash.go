package aggregator

import (
	"strconv"

	"github.com/rankstream/rankstream/contest"
)

// FNV-1a, 32 bits (hash/fnv's New32a), written out so that hashing a board
// allocates nothing: GroupOf runs for every standing the scorer publishes
// and the ranker reads, and hash/fnv's interface value, the []byte
// conversions and the window's digits each cost an allocation there.
const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
)

// boardHash is FNV-1a of contest, 0, the window in decimal, 0, division —
// the bytes GroupOf has always hashed (groups are persisted in SCORES
// subjects, so the value must never change).
func boardHash(id contest.BoardID) uint32 {
	h := fnvString(fnvOffset32, id.Contest)
	h = fnvByte(h, 0)
	var digits [20]byte
	for _, c := range strconv.AppendInt(digits[:0], id.Window, 10) {
		h = fnvByte(h, c)
	}
	h = fnvByte(h, 0)
	return fnvString(h, id.Division)
}

func fnvString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

func fnvByte(h uint32, c byte) uint32 { return (h ^ uint32(c)) * fnvPrime32 }
