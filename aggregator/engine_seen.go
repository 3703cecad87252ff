package aggregator

// seenIDs is one ts bucket of a partition's seen ids (partState.seenByTS),
// held by pointer so that adding to the bucket of the previous event (most
// events: a partition's events come about in ts order) needs no map
// operation.
type seenIDs struct{ ids []string }

// firstSeen records key, the dedup key of an event with ts (unix nanos),
// and reports whether it is the key's first arrival (false: a duplicate,
// recorded already). One operation on the seen set for both: a map
// assignment of a key held adds nothing, so the set's size says which it
// was. A duplicate's assignment may leave the set holding its (equal)
// string instead of the first's, which seenByTS keeps.
func (ps *partState) firstSeen(key string, ts int64) bool {
	n := len(ps.seen)
	ps.seen[key] = struct{}{}
	if len(ps.seen) == n {
		return false
	}
	b := floorDivI(ts, seenBucket)
	if ps.seenCur == nil || ps.seenCurAt != b {
		ids := ps.seenByTS[b]
		if ids == nil {
			if ps.seenByTS == nil {
				ps.seenByTS = map[int64]*seenIDs{}
			}
			ids = &seenIDs{}
			ps.seenByTS[b] = ids
		}
		ps.seenCur, ps.seenCurAt = ids, b
	}
	ps.seenCur.ids = append(ps.seenCur.ids, key)
	return true
}
