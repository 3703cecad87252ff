package oracle

import (
	"math"
	"math/big"
)

// Arithmetic of CONTRACT.md §3, from its text: "the points of one event are
// clamped to [−10^15, 10^15] (NaN or ±Inf gives 0 points) and a score
// saturates at ±(2^63−1); it never wraps. wager and win_amount are exact
// integers." Written with math/big so that no int64 overflow can hide here.
//
// Interpretations:
//   - the clamp applies to the rounded value, before cap_per_event;
//   - a saturating sum is taken in event-time order (ts, then event_id) over
//     the events that make up the score (for best_n the kept n in event-time
//     order); the daily cap's running total saturates the same way;
//   - wager/win_amount × bonus_coefficient is the exact product of the
//     integer and the coefficient's float64 value, rounded half away from zero.

const pointsLimit = 1_000_000_000_000_000

var (
	bigMaxScore = big.NewInt(math.MaxInt64)
	bigMinScore = big.NewInt(-math.MaxInt64)
)

// satAdd adds exactly, then saturates at ±(2^63−1).
func satAdd(a, b int64) int64 {
	s := new(big.Int).Add(big.NewInt(a), big.NewInt(b))
	return saturate(s)
}

// satSub subtracts exactly, then saturates at ±(2^63−1).
func satSub(a, b int64) int64 {
	return saturate(new(big.Int).Sub(big.NewInt(a), big.NewInt(b)))
}

func saturate(s *big.Int) int64 {
	switch {
	case s.Cmp(bigMaxScore) > 0:
		return math.MaxInt64
	case s.Cmp(bigMinScore) < 0:
		return -math.MaxInt64
	}
	return s.Int64()
}

// clampFloat turns an unrounded value into points: NaN/±Inf → 0, otherwise
// rounded half away from zero and clamped to ±10^15.
func clampFloat(v float64) int64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	r := math.Round(v) // half away from zero
	if r > pointsLimit {
		return pointsLimit
	}
	if r < -pointsLimit {
		return -pointsLimit
	}
	return int64(r)
}

// exactPoints is n × coef computed without float rounding (256-bit mantissa
// holds any int64 × float64 product), rounded half away from zero, clamped
// to ±10^15.
func exactPoints(n int64, coef float64) int64 {
	if math.IsNaN(coef) || math.IsInf(coef, 0) {
		return 0
	}
	p := new(big.Float).SetPrec(256).SetInt64(n)
	p.Mul(p, new(big.Float).SetPrec(256).SetFloat64(coef))
	limit := new(big.Float).SetPrec(256).SetInt64(pointsLimit)
	if p.Cmp(limit) >= 0 {
		return pointsLimit
	}
	if p.Cmp(new(big.Float).Neg(limit)) <= 0 {
		return -pointsLimit
	}
	// |p| < 10^15 < 2^50: adding ±½ is exact at 256 bits; Int truncates.
	half := big.NewFloat(0.5)
	if p.Sign() < 0 {
		p.Sub(p, half)
	} else {
		p.Add(p, half)
	}
	i, _ := p.Int(nil)
	return i.Int64()
}
