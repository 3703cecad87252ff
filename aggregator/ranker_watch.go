package aggregator

// Newly watched users. The ranker reports a watched user's rank on a tick
// of a board that changed when it differs from the last one reported
// (fillRanks). A user who becomes
// watched while their board is quiet (a NATS subscriber the interest poll
// or the watch bucket made known only after the tick that overtook them, a
// watch set that briefly lost them and got them back) would get no report
// until the board changes again, which on a quiet board is never: their
// subject would keep a stale position (issue 9 item 7). So on every tick
// the ranker compares each quiet owned board's watched list with the one of
// its last report and writes a ranks-only delta (RanksOnly: no changes; the
// top, the total and the ranks of the users who became watched and are on
// the board) when it gained someone. The notifier pushes such a rank when it
// differs from what the subject last carried.
//
// Cost per tick: one Watched call per quiet owned board (no lock, no
// allocation: an unchanged list is the same slice, or compared element by
// element); a set difference only for a board whose list changed.

// newlyWatched is the ranks-only delta of quiet board b for the users who
// became watched since its last report (ok false: none on the board).
// Under r.mu.
func (r *Ranker) newlyWatched(b *rboard) (bd BoardDelta, ok bool) {
	if !r.ranks || r.opts.Watched == nil {
		return bd, false
	}
	w := r.opts.Watched(b.id)
	if sameList(w, b.watched) {
		return bd, false
	}
	old := b.watched
	b.setWatched(w)
	was := make(map[string]struct{}, len(old))
	for _, u := range old {
		was[u] = struct{}{}
	}
	var ranks map[string]Rank
	for j, u := range w {
		if _, seen := was[u]; seen {
			continue
		}
		if rk, on := b.rankOf(u); on {
			if ranks == nil {
				ranks = map[string]Rank{}
			}
			ranks[u] = rk
			b.told[j] = toldEntry{rank: toldOf(rk), at: r.tickAt}
		}
	}
	if ranks == nil {
		return bd, false
	}
	bd = r.header(b)
	bd.RanksOnly = true
	r.fillTop(b, &bd)
	bd.Ranks = ranks
	r.m.Sinks.WatchedReports.Inc()
	return bd, true
}

// sameList reports whether a and b hold the same users in the same order.
func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// forSink is batch without its ranks-only boards when sink s does not want
// ranks (the read model has nothing to write for them).
func forSink(s Sink, batch *Batch) *Batch {
	if w, ok := s.(RanksWanted); ok && w.WantsRanks() {
		return batch
	}
	n := 0
	for i := range batch.Boards {
		if batch.Boards[i].RanksOnly {
			n++
		}
	}
	if n == 0 {
		return batch
	}
	out := &Batch{At: batch.At, Boards: make([]BoardDelta, 0, len(batch.Boards)-n)}
	for _, d := range batch.Boards {
		if !d.RanksOnly {
			out.Boards = append(out.Boards, d)
		}
	}
	return out
}
