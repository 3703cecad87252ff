package aggregator

// Spaced reports of overtaken watched users (RankerOptions.WatchedEvery).
// On a busy board nearly every watched user moves on every tick, so
// reporting each one whose rank changed put ≈ 10k ranks into every tick's
// delta at 10k subscribers: each computed, encoded into the RANKS feed,
// decoded and compared by every notifier, ten times a second, while the
// notifier sends a "you moved" update that only others caused at most once
// a second (notifier.DefaultOvertaken) and needs only the latest rank when
// it does. With WatchedEvery a watched user whose own standing did not
// change is looked at again only WatchedEvery after their last report; a
// user whose own standing changed is reported on every tick as before, and
// so is everyone in a full delta and a newly watched user. What a skipped
// user's rank did meanwhile is reported by the first tick after the wait —
// on a quiet board by a ranks-only delta (recheckWatched), so the last
// report always equals the standing, at most WatchedEvery plus a tick
// after the board went quiet.

// recheckWatched is the ranks-only delta of quiet board b for the watched
// users due again whose rank changed since their last report (ok false:
// none due, or none changed). Under r.mu.
func (r *Ranker) recheckWatched(b *rboard) (bd BoardDelta, ok bool) {
	if !r.ranks || b.recheck.IsZero() || r.tickAt.Before(b.recheck) || len(b.told) != len(b.watched) {
		return bd, false
	}
	bd = r.header(b)
	bd.RanksOnly = true
	bd.Ranks = map[string]Rank{}
	r.reportWatched(b, &bd)
	if len(bd.Ranks) == 0 {
		return BoardDelta{}, false
	}
	r.fillTop(b, &bd)
	r.m.Sinks.WatchedReports.Inc()
	return bd, true
}
