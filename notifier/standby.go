package notifier

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// A standby (Options.Active false) publishes nothing. It follows the live
// subjects to learn what the lease holder really sent (boardState.top and
// users: the last message each subject carried) and keeps, from the ticks,
// the latest state of every subject that differs from it (boardState.want,
// wantTop). While the holder works, the two meet and want stays small; what
// the holder computed but never sent (it died with the update waiting in its
// slot, or published into a dying connection), and what changed while the
// lease was moving, stays in want. On becoming active the notifier queues
// want as ordinary updates: each subject gets its current state once, with
// moved counted from the last message it carried, and at most at the
// subject's rate (the slot's last message is the one heard).

// Subscriber is how a standby follows the live subjects; *nats.Conn is one.
type Subscriber interface {
	Subscribe(subject string, cb nats.MsgHandler) (*nats.Subscription, error)
}

// followSubjects are the live rank and top subjects (not the notices:
// lb.<contest>.user.<id>.notice has one token more).
var followSubjects = []string{"lb.*.top", "lb.*.user.*"}

// wanted is a subject's latest state that no message carried yet.
type wanted struct {
	rank aggregator.Rank
	// own: the user's own standing changed since the last message (not only
	// others overtaking them), for the coalescer's interval.
	own bool
}

// heard is one live message a standby saw on NATS.
type heard struct {
	board contest.BoardID
	isTop bool
	top   []TopRow
	user  string
	pos   int
	score int64
}

// liveMsg decodes both message types.
type liveMsg struct {
	Type     string   `json:"type"`
	Contest  string   `json:"contest"`
	Window   string   `json:"window"`
	Division string   `json:"division"`
	User     string   `json:"user"`
	Pos      *int     `json:"pos"`
	Score    int64    `json:"score"`
	Top      []TopRow `json:"top"`
}

func parseHeard(data []byte) (heard, error) {
	var m liveMsg
	if err := json.Unmarshal(data, &m); err != nil {
		return heard{}, fmt.Errorf("notifier: live message: %w", err)
	}
	w, err := time.Parse(time.RFC3339, m.Window)
	if err != nil {
		return heard{}, fmt.Errorf("notifier: live message window: %w", err)
	}
	h := heard{board: contest.BoardID{Contest: m.Contest, Window: w.Unix(), Division: m.Division}}
	switch {
	case m.Type == TypeTop:
		h.isTop, h.top = true, m.Top
		if h.top == nil {
			h.top = []TopRow{}
		}
	case m.Type == TypeRank && m.Pos != nil && m.User != "":
		h.user, h.pos, h.score = m.User, *m.Pos, m.Score
	default:
		return heard{}, fmt.Errorf("notifier: live message of type %q without a position", m.Type)
	}
	return h, nil
}

// onHeard is the follow subscriptions' handler: it queues the message for
// the Run goroutine.
func (n *Notifier) onHeard(msg *nats.Msg) {
	h, err := parseHeard(msg.Data)
	if err != nil {
		n.log.Debug("standby: live message ignored", "subject", msg.Subject, "err", err)
		return
	}
	n.m.Heard.Inc()
	n.inMu.Lock()
	n.heard = append(n.heard, h)
	n.inMu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// syncRole follows Options.Active: on becoming active the standby's want is
// queued (takeOver), on becoming a standby the waiting updates move to want
// (standDown). It runs on the Run goroutine.
func (n *Notifier) syncRole() {
	live := n.active()
	switch {
	case live && !n.live:
		n.unfollow()
		n.live = true
		n.applyHeard() // what the old holder sent up to now
		n.takeOver(n.opts.Now())
	case !live && n.live:
		n.live = false
		n.standDown()
	}
	if !n.live && n.follows == nil {
		n.follow()
	}
}

// follow subscribes to the live subjects (retried once a second on error).
func (n *Notifier) follow() {
	now := time.Now()
	if now.Sub(n.followTried) < time.Second {
		return
	}
	n.followTried = now
	var subs []*nats.Subscription
	for _, subj := range followSubjects {
		s, err := n.opts.Subscriber.Subscribe(subj, n.onHeard)
		if err != nil {
			n.log.Warn("standby: cannot follow the live subjects; a lease move may resend", "subject", subj, "err", err)
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			return
		}
		subs = append(subs, s)
	}
	n.follows = subs
}

func (n *Notifier) unfollow() {
	for _, s := range n.follows {
		_ = s.Unsubscribe()
	}
	n.follows = nil
	n.followTried = time.Time{}
}

// applyHeard takes the queued live messages (a standby's only).
func (n *Notifier) applyHeard() {
	n.inMu.Lock()
	hs := n.heard
	n.heard = nil
	n.inMu.Unlock()
	if n.live {
		return // our own, or an old holder's late ones: we send from now on
	}
	now := n.opts.Now()
	for i := range hs {
		n.hear(&hs[i], now)
	}
}

// hear records that a subject carried a message.
func (n *Notifier) hear(h *heard, now time.Time) {
	b := n.boardState(h.board)
	b.seen = now
	if h.isTop {
		b.top = h.top
		if equalTop(b.wantTop, h.top) {
			b.wantTop = nil
		}
		n.co.mark(streams.LiveTopSubject(h.board.Contest), true, now)
		return
	}
	b.users[h.user] = pushed{pos: h.pos, score: h.score}
	if w, ok := b.want[h.user]; ok && w.rank.Pos == h.pos && w.rank.Score == h.score {
		delete(b.want, h.user)
	}
	n.co.mark(streams.LiveUserSubject(h.board.Contest, h.user), false, now)
}

// followBoard is offerBoard of a standby: it keeps the delta's states that
// differ from the subjects' last messages.
func (n *Notifier) followBoard(d *aggregator.BoardDelta, now time.Time) {
	b := n.boardState(d.ID)
	b.seen = now
	b.total = d.Total
	changed := make(map[string]bool, len(d.Changed))
	for _, u := range d.Changed {
		if u.Removed {
			delete(b.users, u.User)
			delete(b.want, u.User)
			continue
		}
		changed[u.User] = true
	}
	rows := topRows(d.Top, n.opts.TopN, n.opts.Pseudonym)
	if equalTop(b.top, rows) {
		b.wantTop = nil
	} else {
		b.wantTop = rows
		n.m.Standby.Inc()
	}
	for user, r := range d.Ranks {
		if last, ok := b.users[user]; ok && last.pos == r.Pos && last.score == r.Score {
			delete(b.want, user)
			continue
		}
		if b.want == nil {
			b.want = map[string]wanted{}
		}
		own := changed[user] || b.want[user].own
		b.want[user] = wanted{rank: r, own: own}
		n.m.Standby.Inc()
	}
}

// takeOver queues every state the subjects do not carry yet.
func (n *Notifier) takeOver(now time.Time) {
	queued := 0
	for id, b := range n.boards {
		if b.wantTop != nil {
			n.add(streams.LiveTopSubject(id.Contest), true, update{board: id, top: b.wantTop, total: b.total}, now)
			b.wantTop = nil
			queued++
		}
		for user, w := range b.want {
			n.add(streams.LiveUserSubject(id.Contest, user), false,
				update{board: id, rank: w.rank, total: b.total, watchedOnly: !w.own}, now)
			queued++
		}
		b.want = nil
	}
	if n.opts.Confirmer != nil {
		n.reconnects = n.opts.Confirmer.Stats().Reconnects
	}
	n.m.TakeoverUpdates.Add(float64(queued))
	n.log.Info("notifier active: queued what the subjects do not carry yet", "updates", queued)
}

// standDown moves the waiting updates to want: the new holder sends them
// (or this notifier, when it becomes active again).
func (n *Notifier) standDown() {
	n.co.drain(func(s *slot, u update) {
		b := n.boardState(u.board)
		if s.isTop {
			b.wantTop = u.top
			return
		}
		if b.want == nil {
			b.want = map[string]wanted{}
		}
		b.want[u.rank.User] = wanted{rank: u.rank, own: !u.watchedOnly}
	})
	n.m.Pending.Set(0)
	n.forgetUnconfirmed()
	n.log.Info("notifier standby: following the lease holder")
}
