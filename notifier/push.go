package notifier

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/streams"
)

// process takes the queued deltas and offers what changed to the coalescer.
func (n *Notifier) process() {
	n.inMu.Lock()
	batches := n.inbox
	n.inbox = nil
	n.inMu.Unlock()
	n.syncRole()
	n.applyHeard()
	if n.live {
		n.notices.offer(batches)
	}
	t0 := time.Now()
	now := n.opts.Now()
	for _, deltas := range batches {
		for i := range deltas {
			if n.live {
				n.offerBoard(&deltas[i], now)
			} else {
				n.followBoard(&deltas[i], now)
			}
		}
	}
	n.m.Boards.Set(float64(len(n.boards)))
	n.m.TickSeconds.Observe(time.Since(t0).Seconds())
}

func (n *Notifier) boardState(id contest.BoardID) *boardState {
	b := n.boards[id]
	if b == nil {
		b = &boardState{users: map[string]pushed{}}
		n.boards[id] = b
	}
	return b
}

// offerBoard offers a board's new top and every rank that differs from what
// its subject last carried (or that already waits, to keep only the latest).
func (n *Notifier) offerBoard(d *aggregator.BoardDelta, now time.Time) {
	b := n.boardState(d.ID)
	b.seen = now
	b.total = d.Total
	changed := make(map[string]bool, len(d.Changed))
	for _, u := range d.Changed {
		if u.Removed {
			delete(b.users, u.User)
			continue
		}
		changed[u.User] = true
	}
	rows := topRows(d.Top, n.opts.TopN, n.opts.Pseudonym)
	subj := streams.LiveTopSubject(d.ID.Contest)
	if !equalTop(b.top, rows) || n.co.pending(subj, d.ID) {
		n.add(subj, true, update{board: d.ID, top: rows, total: d.Total, since: d.EventTime}, now)
	}
	for user, r := range d.Ranks {
		subj := streams.LiveUserSubject(d.ID.Contest, user)
		if last, ok := b.users[user]; ok && last.pos == r.Pos && last.score == r.Score && !n.co.pending(subj, d.ID) {
			continue
		}
		n.add(subj, false, update{board: d.ID, rank: r, total: d.Total, watchedOnly: !changed[user], since: d.EventTime}, now)
	}
}

func (n *Notifier) add(subj string, isTop bool, u update, now time.Time) {
	if n.co.add(subj, isTop, u, now) {
		n.m.Coalesced.Inc()
	}
}

// flush sends every slot that is due: one message per slot, the oldest
// waiting board first; an update equal to what the subject last carried is
// dropped without using the slot.
func (n *Notifier) flush() {
	now := n.opts.Now()
	for s := n.co.next(now); s != nil; s = n.co.next(now) {
		sent := false
		for len(s.pending) > 0 && !sent {
			u := s.pending[0]
			copy(s.pending, s.pending[1:])
			s.pending[len(s.pending)-1] = update{}
			s.pending = s.pending[:len(s.pending)-1]
			sent = n.send(s, u)
		}
		if sent {
			n.co.sent(s, now)
		}
	}
	n.m.Pending.Set(float64(len(n.co.queue)))
}

// send publishes u on s's subject unless it equals the last message; it
// reports whether it used the subject's slot.
func (n *Notifier) send(s *slot, u update) bool {
	b := n.boardState(u.board)
	if s.isTop {
		if equalTop(b.top, u.top) {
			return false
		}
		if n.publish(s.subject, u.board, TypeTop, func() any { return topMsg(u.board, u.total, u.top) }) {
			b.top = u.top
			n.observePush(u)
		} else {
			s.offer(u) // retried at the slot's next turn
		}
		return true
	}
	r := u.rank
	last, ok := b.users[r.User]
	if ok && last.pos == r.Pos && last.score == r.Score {
		return false
	}
	moved := 0
	if ok {
		moved = last.pos - r.Pos
	}
	total := u.total
	if b.total != u.total && n.watched(u.board, r.User) {
		total = b.total
	}
	msg := func() any {
		pos := r.Pos
		return RankMsg{Type: TypeRank, Contest: u.board.Contest, Window: WindowString(u.board.Window),
			Division: u.board.Division, User: r.User, Pos: &pos, Score: r.Score, GapToNext: r.GapToNext,
			Moved: moved, Points: r.LastPoints, Total: total}
	}
	if n.publish(s.subject, u.board, TypeRank, msg) {
		b.users[r.User] = pushed{pos: r.Pos, score: r.Score}
		n.observePush(u)
		if u.watchedOnly {
			n.m.Overtaken.Inc()
		}
	} else {
		// Kept and retried at the slot's next turn: the ranker reports a
		// watched rank only when it changes, so no later report may come.
		s.offer(u)
	}
	return true
}

// watched reports whether user is in the notifier's watched snapshot of board.
func (n *Notifier) watched(board contest.BoardID, user string) bool {
	_, ok := slices.BinarySearch(n.Watched(board), user)
	return ok
}

// observePush records the event → pushed latency of a published update.
func (n *Notifier) observePush(u update) {
	if !u.since.IsZero() {
		n.m.EventToPush.Observe(time.Since(u.since).Seconds())
	}
}

// active reports whether this notifier publishes (Options.Active).
func (n *Notifier) active() bool {
	live := n.opts.Active == nil || n.opts.Active()
	if live {
		n.m.Active.Set(1)
	} else {
		n.m.Active.Set(0)
	}
	return live
}

// publish sends the message msg builds on subject and reports whether the
// subject now carries it. Only an active notifier has updates to send (a
// standby keeps them in boardState.want).
func (n *Notifier) publish(subject string, board contest.BoardID, typ string, msg func() any) bool {
	data, err := json.Marshal(msg())
	if err == nil {
		err = n.opts.Publisher.Publish(subject, data)
	}
	if err != nil {
		n.m.PublishErrors.Inc()
		n.log.Warn("publish failed", "subject", subject, "err", err)
		return false
	}
	n.m.Published.WithLabelValues(typ).Inc()
	n.remember(subject, board, typ == TypeTop, data)
	return true
}

func topRows(top []aggregator.Rank, n int, ps pseudonym.Func) []TopRow {
	if len(top) > n {
		top = top[:n]
	}
	rows := make([]TopRow, len(top))
	for i, r := range top {
		rows[i] = TopRow{Pos: r.Pos, User: ps.Apply(r.User), Score: r.Score}
	}
	return rows
}

func equalTop(a, b []TopRow) bool {
	if a == nil || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
