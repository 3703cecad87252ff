package rewards

import (
	"math/big"

	"github.com/rankstream/rankstream/contest"
)

// Zone is the prize zone of the rules: which positions of a live board would
// win if it were final now, with the ladder's amount per position. It uses
// the same rules as Compute: a ladder rule pays its ranks floor(total ×
// share) (a rule paying 0 is no zone), proportional pays the first places
// entries with score > 0, min_score excludes lower scores. A tickets board
// has no position zone (a ticket is a chance, not a prize): nil.
func (r *Rules) Zone() *contest.PrizeZone {
	if r == nil {
		return nil
	}
	z := &contest.PrizeZone{Distribution: r.Distribution, Currency: r.Currency, Kind: r.Kind}
	if r.Desc && r.MinScore != nil {
		m := *r.MinScore
		z.MinScore = &m
	}
	switch r.Distribution {
	case Ladder:
		total := big.NewInt(r.TotalMinor)
		for _, lr := range r.Ladder {
			if amt := floorMul(total, lr.Share.Num(), lr.Share.Denom()); amt > 0 {
				z.Ranges = append(z.Ranges, contest.PrizeRange{From: lr.From, To: lr.To, AmountMinor: amt})
			}
		}
	case Proportional:
		z.PositiveOnly = true
		if p := r.Proportional.Places; p > 0 {
			z.Ranges = []contest.PrizeRange{{From: 1, To: p}}
		} else {
			z.AnyPos = true
		}
	default:
		return nil
	}
	return z
}

// ContestZone is the prize zone of a contest's rewards block; nil when it
// has none, pays by tickets, or its block does not validate.
func ContestZone(c *contest.Contest) *contest.PrizeZone {
	r, err := ParseRules(c)
	if err != nil || r == nil {
		return nil
	}
	return r.Zone()
}
