package rewards

import (
	"fmt"
	"math/big"
	"time"
)

// Entry is one position of a final board.
type Entry struct {
	Pos   int
	User  string
	Score int64
}

// Board identifies a final board and what its payouts depend on besides its
// entries: the standings hash recorded with the final snapshot seeds the
// tickets draw.
type Board struct {
	Contest       string
	Window        time.Time // window start
	Division      string
	StandingsHash [32]byte
}

// Payout is what one entry wins (AmountMinor > 0).
type Payout struct {
	RewardID    string `json:"reward_id"`
	Pos         int    `json:"pos"`
	User        string `json:"user_id"`
	Score       int64  `json:"score"`
	AmountMinor int64  `json:"amount_minor"`
}

// Result is a board's payouts in position order, and the draw of a tickets
// board.
type Result struct {
	Payouts []Payout
	Draw    *Draw
}

// Total is the sum of the payouts.
func (r Result) Total() int64 {
	var t int64
	for _, p := range r.Payouts {
		t += p.AmountMinor
	}
	return t
}

// Compute returns the payouts of a board from its entries (in position
// order, positions 1..n) and its rules. It is a pure function: the same
// input gives the same result, byte for byte.
func Compute(r *Rules, b Board, entries []Entry) (Result, error) {
	for i := range entries {
		if entries[i].Pos != i+1 {
			return Result{}, fmt.Errorf("rewards: entry %d has position %d, want %d", i, entries[i].Pos, i+1)
		}
	}
	amounts := make([]int64, len(entries))
	var res Result
	switch r.Distribution {
	case Ladder:
		ladder(r, entries, amounts)
	case Proportional:
		proportional(r, entries, amounts)
	case Tickets:
		d := draw(r, b, entries)
		for _, w := range d.Draws {
			amounts[w.Pos-1] = w.AmountMinor
		}
		res.Draw = &d
	default:
		return Result{}, fmt.Errorf("rewards: unknown distribution %q", r.Distribution)
	}
	for i, e := range entries {
		if amounts[i] <= 0 || (r.MinScore != nil && r.Desc && e.Score < *r.MinScore) {
			continue
		}
		res.Payouts = append(res.Payouts, Payout{RewardID: ContestRewardID(b.Contest, b.Window, b.Division, e.User),
			Pos: e.Pos, User: e.User, Score: e.Score, AmountMinor: amounts[i]})
	}
	return res, nil
}

// ladder: position p gets floor(total × share) of the rule holding p.
func ladder(r *Rules, entries []Entry, out []int64) {
	total := big.NewInt(r.TotalMinor)
	for _, lr := range r.Ladder {
		amt := floorMul(total, lr.Share.Num(), lr.Share.Denom())
		for p := lr.From; p <= lr.To && p <= len(entries); p++ {
			out[p-1] = amt
		}
	}
}

// proportional: the first places entries with score > 0 get
// min(floor(total × score / Σ score), cap).
func proportional(r *Rules, entries []Entry, out []int64) {
	places := r.Proportional.Places
	if places == 0 || places > len(entries) {
		places = len(entries)
	}
	sum := new(big.Int)
	var idx []int
	for i := 0; i < places; i++ {
		if entries[i].Score > 0 {
			sum.Add(sum, big.NewInt(entries[i].Score))
			idx = append(idx, i)
		}
	}
	if sum.Sign() == 0 {
		return
	}
	total := big.NewInt(r.TotalMinor)
	s := new(big.Int)
	for _, i := range idx {
		amt := floorMul(total, s.SetInt64(entries[i].Score), sum)
		if c := r.Proportional.CapPerPlace; c > 0 && amt > c {
			amt = c
		}
		out[i] = amt
	}
}

// floorMul is floor(a × num / den) for non-negative a, num and den > 0; the
// result is at most a when num ≤ den.
func floorMul(a, num, den *big.Int) int64 {
	q := new(big.Int).Mul(a, num)
	q.Quo(q, den)
	return q.Int64()
}
