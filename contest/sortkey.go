package contest

import (
	"math"
)

// KeyWords is the number of int64 words of a board's sort key: the score and
// one word per tie-breaker. The user id follows as the last tie-breaker.
func (lb *Leaderboard) KeyWords() int { return 1 + len(lb.Tiebreakers) }

// SortKey encodes a standing so that ascending comparison of the words, then of
// the user id, is the board order of CONTRACT.md §3.
func (lb *Leaderboard) SortKey(st Standing, dst []int64) []int64 {
	dst = dst[:0]
	if lb.Order == "asc" {
		dst = append(dst, st.Score)
	} else {
		dst = append(dst, SatNeg(st.Score))
	}
	for _, tb := range lb.Tiebreakers {
		switch tb {
		case TieHighestSingleMultiplier:
			m := st.MaxMult
			if m <= 0 || math.IsNaN(m) {
				m = 0
			}
			dst = append(dst, -int64(math.Float64bits(m)))
		case TieFewestRounds:
			dst = append(dst, st.Rounds)
		case TieMostRounds:
			dst = append(dst, SatNeg(st.Rounds))
		case TieEarliestFinish:
			if st.Finish < 0 {
				dst = append(dst, math.MaxInt64)
			} else {
				dst = append(dst, st.Finish)
			}
		default:
			dst = append(dst, 0)
		}
	}
	return dst
}

// ScoreFromKey recovers the score from word 0 of a sort key.
func (lb *Leaderboard) ScoreFromKey(w0 int64) int64 {
	if lb.Order == "asc" {
		return w0
	}
	return SatNeg(w0)
}
