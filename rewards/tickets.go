package rewards

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// Draw is the published tickets draw of a board: anyone holding the final
// snapshot can recompute Seed and every DrawnPrize.
type Draw struct {
	Seed    string       `json:"seed"`
	Tickets int64        `json:"tickets"` // tickets in the draw at the start
	Draws   []DrawnPrize `json:"draws"`
}

// DrawnPrize is draw k: X = the first 8 bytes of SHA-256("<seed>:<k>")
// (big-endian) modulo TicketsLeft; the winner is the first remaining entry
// (position order) whose running ticket total exceeds X.
type DrawnPrize struct {
	K           int    `json:"k"`
	Prize       int    `json:"prize"` // index in rewards.tickets.prizes
	AmountMinor int64  `json:"amount_minor"`
	TicketsLeft int64  `json:"tickets_left"`
	X           uint64 `json:"x"`
	Pos         int    `json:"pos"`
	User        string `json:"user_id"`
}

// Seed is hex SHA-256 of "<contest>|<window start>|<division>|<standings
// hash hex>".
func Seed(b Board) string {
	sum := sha256.Sum256([]byte(b.Contest + "|" + WindowString(b.Window) + "|" + b.Division + "|" +
		hex.EncodeToString(b.StandingsHash[:])))
	return hex.EncodeToString(sum[:])
}

// DrawValue is the first 8 bytes of SHA-256("<seed>:<k>") as a big-endian
// unsigned integer.
func DrawValue(seed string, k int) uint64 {
	sum := sha256.Sum256([]byte(seed + ":" + strconv.Itoa(k)))
	return binary.BigEndian.Uint64(sum[:8])
}

// ticketsOf is floor(score / points_per_ticket), none for a score ≤ 0.
func ticketsOf(score, perTicket int64) int64 {
	if score <= 0 {
		return 0
	}
	return score / perTicket
}

func draw(r *Rules, b Board, entries []Entry) Draw {
	d := Draw{Seed: Seed(b)}
	f := newFenwick(len(entries))
	for i, e := range entries {
		t := ticketsOf(e.Score, r.Tickets.PointsPerTicket)
		f.add(i, t)
		d.Tickets += t
	}
	left := d.Tickets
	k := 0
	for pi, p := range r.Tickets.Prizes {
		for c := 0; c < p.Count; c++ {
			if left <= 0 {
				return d
			}
			x := DrawValue(d.Seed, k) % uint64(left)
			i := f.search(int64(x))
			t := f.get(i)
			d.Draws = append(d.Draws, DrawnPrize{K: k, Prize: pi, AmountMinor: p.AmountMinor, TicketsLeft: left,
				X: x, Pos: entries[i].Pos, User: entries[i].User})
			f.add(i, -t)
			left -= t
			k++
		}
	}
	return d
}

// fenwick holds the tickets per entry: prefix sums and "first index whose
// running total exceeds x" in O(log n), so a draw over a large board does
// not walk it per prize.
type fenwick struct {
	tree []int64
	vals []int64
}

func newFenwick(n int) *fenwick { return &fenwick{tree: make([]int64, n+1), vals: make([]int64, n)} }

func (f *fenwick) add(i int, d int64) {
	f.vals[i] += d
	for j := i + 1; j < len(f.tree); j += j & -j {
		f.tree[j] += d
	}
}

func (f *fenwick) get(i int) int64 { return f.vals[i] }

// search returns the smallest index i with prefix(i) > x (0 ≤ x < total).
func (f *fenwick) search(x int64) int {
	pos := 0
	step := 1
	for step*2 < len(f.tree) {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if n := pos + step; n < len(f.tree) && f.tree[n] <= x {
			pos = n
			x -= f.tree[n]
		}
	}
	return pos // 0-based index of the entry
}
