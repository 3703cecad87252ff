package aggregator

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// fnvBoardHash is the hash GroupOf used before boardHash: hash/fnv over the
// same bytes. The two must agree on every board, or standings would move to
// another group's subjects across an upgrade.
func fnvBoardHash(id contest.BoardID) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id.Contest))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(strconv.AppendInt(nil, id.Window, 10))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(id.Division))
	return h.Sum32()
}

func TestBoardHashMatchesFNV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	ids := []contest.BoardID{{}, {Contest: "c", Window: -1}, {Contest: "daily", Window: 1764547200, Division: "eu.gold"}}
	for range 5000 {
		ids = append(ids, contest.BoardID{Contest: word(), Window: rng.Int64() - rng.Int64(), Division: word()})
	}
	for _, id := range ids {
		if got, want := boardHash(id), fnvBoardHash(id); got != want {
			t.Fatalf("boardHash(%+v) = %d, hash/fnv %d", id, got, want)
		}
		for _, n := range []int{2, 3, 4, 7, 16} {
			if got, want := GroupOf(id, n), int(fnvBoardHash(id)%uint32(n)); got != want {
				t.Fatalf("GroupOf(%+v, %d) = %d, want %d", id, n, got, want)
			}
		}
	}
}

func TestGroupOfAllocatesNothing(t *testing.T) {
	id := contest.BoardID{Contest: "daily", Window: 1764547200, Division: "eu"}
	if n := testing.AllocsPerRun(100, func() { _ = GroupOf(id, 4) }); n != 0 {
		t.Fatalf("GroupOf allocates %v times per call", n)
	}
}
