package aggregator

import "time"

// CatchupCounts, for the benchmarks: over the single-mode workers that went
// live, the changes their catch-ups put pending and the standings (distinct
// (board, user)) those came to.
func (s *Scorer) CatchupCounts() (changes, standings int) {
	for _, w := range s.workers {
		if c, ok := w.catchup.Load().(catchupCount); ok {
			changes += c.changes
			standings += c.standings
		}
	}
	return changes, standings
}

// AckSeqTime, for the benchmarks: ackSeqTime.
func AckSeqTime(reply string) (seq uint64, ts int64, ok bool) { return ackSeqTime(reply) }

// CatchupAppliedAt, for the benchmarks: when the last single-mode worker
// started going live (every event of its catch-up applied; zero: none).
func (s *Scorer) CatchupAppliedAt() time.Time {
	var at time.Time
	for _, w := range s.workers {
		if c, ok := w.catchup.Load().(catchupCount); ok && c.at.After(at) {
			at = c.at
		}
	}
	return at
}
