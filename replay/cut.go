package replay

import (
	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/streams"
)

// KeepCut returns the Keep function of a replay up to a per-partition cut (a
// shared-mode snapshot's EventsCut): an event of partition p is kept when
// its sequence is ≤ cut[p]. Nil (keep all) for an empty cut. Messages whose
// subject names no partition change no standings and are kept.
func KeepCut(cut []uint64) func(se *aggregator.StoredEvent) bool {
	if len(cut) == 0 {
		return nil
	}
	return func(se *aggregator.StoredEvent) bool {
		p, _, _, ok := streams.ParseEventSubject(se.Subject)
		if !ok || p < 0 || p >= len(cut) {
			return true
		}
		return se.Seq <= cut[p]
	}
}
