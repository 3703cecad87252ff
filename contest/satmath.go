package contest

import (
	"math"
	"math/big"
)

// Arithmetic bounds of CONTRACT.md §3: the points of one event are clamped to
// [−MaxEventPoints, MaxEventPoints] and a score saturates at ±MaxScore; it
// never wraps.
const (
	MaxEventPoints = 1_000_000_000_000_000 // 10^15
	MaxScore       = math.MaxInt64         // 2^63 − 1; −MaxScore is the floor
)

// SatAdd returns a + b saturated to [−MaxScore, MaxScore].
func SatAdd(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return MaxScore
	case a < 0 && b < 0 && s >= 0:
		return -MaxScore
	case s == math.MinInt64:
		return -MaxScore
	}
	return s
}

// SatSub returns a − b saturated to [−MaxScore, MaxScore].
func SatSub(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return MaxScore
		}
		return SatAdd(SatAdd(a, MaxScore), 1)
	}
	return SatAdd(a, -b)
}

// SatNeg returns −a, with −MinInt64 saturated to MaxInt64.
func SatNeg(a int64) int64 {
	if a == math.MinInt64 {
		return math.MaxInt64
	}
	return -a
}

// clampPoints bounds an event's integer points to ±MaxEventPoints.
func clampPoints(p int64) int64 {
	switch {
	case p > MaxEventPoints:
		return MaxEventPoints
	case p < -MaxEventPoints:
		return -MaxEventPoints
	}
	return p
}

// pointsOfFloat turns a formula value into points: NaN or ±Inf give 0, the
// rest is rounded half away from zero and clamped to ±MaxEventPoints.
func pointsOfFloat(v float64) int64 {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0
	case v >= MaxEventPoints:
		return MaxEventPoints
	case v <= -MaxEventPoints:
		return -MaxEventPoints
	}
	return int64(math.Round(v)) // |v| < 10^15: exact in int64
}

// mulRound returns n × coef rounded half away from zero, computed exactly
// (no float64 rounding of the product), clamped to ±MaxEventPoints. A
// non-finite coef gives 0.
func mulRound(n int64, coef float64) int64 {
	switch {
	case math.IsNaN(coef) || math.IsInf(coef, 0):
		return 0
	case coef == 1:
		return clampPoints(n)
	case coef == 0 || n == 0:
		return 0
	}
	var r big.Rat
	r.SetFloat64(coef)
	r.Mul(&r, new(big.Rat).SetInt64(n))
	var q, m big.Int
	q.QuoRem(r.Num(), r.Denom(), &m) // truncated toward zero, m has the sign of num
	m.Abs(&m).Lsh(&m, 1)
	if m.Cmp(r.Denom()) >= 0 { // |remainder| ≥ ½: away from zero
		if r.Sign() < 0 {
			q.Sub(&q, big.NewInt(1))
		} else {
			q.Add(&q, big.NewInt(1))
		}
	}
	switch {
	case q.Cmp(big.NewInt(MaxEventPoints)) > 0:
		return MaxEventPoints
	case q.Cmp(big.NewInt(-MaxEventPoints)) < 0:
		return -MaxEventPoints
	}
	return q.Int64()
}

// Gap is |a − b| saturated at MaxScore: the gap_to_next of two scores.
func Gap(a, b int64) int64 {
	d := SatSub(a, b)
	if d < 0 {
		return SatNeg(d)
	}
	return d
}
