package aggregator

import "time"

// maxSeenHint bounds ExpectEvents' size of a partition's seen set.
const maxSeenHint = 1 << 20

// ExpectEvents tells the engine, before its first Apply, that about
// perPartition events per partition will come, spread over span of stream
// time (a replay knows both from the stream's state). Each partition's
// seen set is then made at the size it will reach instead of growing to it
// from empty by rehashing (3 % of a replay's CPU): the share of the events
// within the dedup horizon (max_event_delay and margins, after which prune
// drops an id), assuming an even rate. It changes no decision.
func (e *Engine) ExpectEvents(perPartition int, span time.Duration) {
	_, horizon := e.missionDelays()
	for _, c := range e.rules.All() {
		horizon = max(horizon, c.EventDelay())
	}
	horizon += e.prune.FoldMargin + 2*time.Duration(seenBucket)
	n := float64(max(perPartition, 0))
	if span > horizon {
		n *= float64(horizon) / float64(span)
	}
	e.seenHint = int(min(n, maxSeenHint))
}
