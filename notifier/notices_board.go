package notifier

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// noticeSent is what was sent to a user about a board: the record kept in
// the KV bucket (short JSON names: there is one per user).
type noticeSent struct {
	// Tops are the entered_top levels sent.
	Tops []int `json:"t,omitempty"`
	// Zone: the last zone notice was entered_prize_zone.
	Zone bool `json:"z,omitempty"`
	// ZoneN counts the zone notices sent; ZoneAt is the last one (Unix ms).
	ZoneN  int   `json:"n,omitempty"`
	ZoneAt int64 `json:"a,omitempty"`
	// EndsSoon: ends_soon was sent.
	EndsSoon bool `json:"e,omitempty"`
}

func (s noticeSent) clone() noticeSent {
	s.Tops = slices.Clone(s.Tops)
	return s
}

// noticeUser is a user's notice state on one board.
type noticeUser struct {
	board *noticeBoard
	user  string
	sent  noticeSent // recorded (in the KV when there is one)
	next  noticeSent // sent plus what waits in out
	rev   uint64     // the record's KV revision; 0: none yet
	out   []NoticeMsg
	dirty bool

	pos   int
	score int64
	tick  uint64 // the round that last reported the position
	want  bool   // the position wins now
	since time.Time
}

// noticeBoard is the notice state of one board.
type noticeBoard struct {
	id       contest.BoardID
	key      string // KV key prefix
	c        *contest.Contest
	levels   []int
	zone     *contest.PrizeZone
	end      time.Time
	seen     time.Time
	users    map[string]*noticeUser
	zoneIn   map[string]*noticeUser // want or sent in-zone
	pending  map[string]*noticeUser // zone state differs from the last notice
	soonDone bool                   // ends_soon went to every user known then
}

// board returns the state of id (loading its records on first sight); nil
// when its contest or window is unknown.
func (x *noticer) board(ctx context.Context, id contest.BoardID, now time.Time) *noticeBoard {
	c := x.o.Contest(id.Contest)
	if c == nil {
		return nil
	}
	b := x.boards[id]
	if b == nil {
		w, ok := c.WindowAt(time.Unix(id.Window, 0))
		if !ok {
			return nil
		}
		b = &noticeBoard{id: id, key: noticeKeyPrefix(id), end: w.End, users: map[string]*noticeUser{},
			zoneIn: map[string]*noticeUser{}, pending: map[string]*noticeUser{}}
		x.boards[id] = b
		x.load(ctx, b)
	}
	if b.c != c {
		b.c, b.levels, b.zone = c, c.NotifyLevels(), nil
		if x.o.PrizeZone != nil {
			b.zone = x.o.PrizeZone(c)
		}
	}
	b.seen = now
	return b
}

func (b *noticeBoard) user(name string) *noticeUser {
	u := b.users[name]
	if u == nil {
		u = &noticeUser{board: b, user: name}
		b.users[name] = u
	}
	return u
}

// observe updates the board's users from one tick's delta: every reported
// position (top and ranks); when the top covers the whole prize zone, a
// zone member missing from it has left the zone.
func (x *noticer) observe(ctx context.Context, d *aggregator.BoardDelta, now time.Time) {
	b := x.board(ctx, d.ID, now)
	if b == nil {
		return
	}
	x.tick++
	for _, ch := range d.Changed {
		if ch.Removed {
			if u := b.users[ch.User]; u != nil {
				u.tick = x.tick
				x.setWant(b, u, false, now)
			}
		}
	}
	for _, r := range d.Top {
		x.see(b, r.User, r.Pos, r.Score, now)
	}
	for _, r := range d.Ranks {
		x.see(b, r.User, r.Pos, r.Score, now)
	}
	deep := b.zone.Deepest()
	if deep == 0 || (len(d.Top) < deep && len(d.Top) < d.Total) {
		return
	}
	for _, u := range b.zoneIn {
		if u.tick != x.tick {
			x.setWant(b, u, false, now)
		}
	}
}

// see records a user's reported position and queues the entered_top and
// ends_soon notices it calls for.
func (x *noticer) see(b *noticeBoard, name string, pos int, score int64, now time.Time) {
	u := b.user(name)
	if u.tick == x.tick && u.pos == pos {
		return
	}
	u.pos, u.score, u.tick = pos, score, x.tick
	for _, lvl := range b.levels {
		if pos <= lvl && !slices.Contains(u.next.Tops, lvl) {
			u.next.Tops = append(u.next.Tops, lvl)
			x.queue(u, NoticeMsg{Kind: KindEnteredTop, Top: lvl, Pos: pos, Score: score})
		}
	}
	if b.soonDone && now.Before(b.end) && !u.next.EndsSoon {
		x.endsSoon(u)
	}
	x.setWant(b, u, b.zone.Wins(pos, score), now)
}

// setWant sets whether u's position wins now and keeps the zone sets.
func (x *noticer) setWant(b *noticeBoard, u *noticeUser, want bool, now time.Time) {
	if want != u.want {
		u.want, u.since = want, now
	}
	if u.want || u.next.Zone {
		b.zoneIn[u.user] = u
	} else {
		delete(b.zoneIn, u.user)
	}
	if u.want != u.next.Zone {
		b.pending[u.user] = u
	} else {
		delete(b.pending, u.user)
	}
}

// due fires the board's timed notices: ends_soon to every user once the
// window ends within EndsSoon, and the zone changes that have settled.
func (x *noticer) due(b *noticeBoard, now time.Time) {
	if !b.soonDone && !now.Before(b.end.Add(-x.o.EndsSoon)) {
		b.soonDone = true
		if now.Before(b.end) {
			for _, u := range b.users {
				if !u.next.EndsSoon {
					x.endsSoon(u)
				}
			}
		}
	}
	for _, u := range b.duePending() {
		if now.Before(x.zoneDue(u)) {
			continue
		}
		delete(b.pending, u.user)
		u.next.Zone, u.next.ZoneN, u.next.ZoneAt = u.want, u.next.ZoneN+1, now.UnixMilli()
		m := NoticeMsg{Kind: KindLeftPrizeZone, Pos: u.pos, Score: u.score}
		if u.want {
			m.Kind = KindEnteredPrizeZone
			m.PrizeMinor, _ = b.zone.Prize(u.pos)
			if m.PrizeMinor > 0 {
				m.Currency = b.zone.Currency
			}
		}
		x.queue(u, m)
	}
}

// duePending drops the pending users whose zone state is back to their
// last notice and returns the others in position order (deterministic).
func (b *noticeBoard) duePending() []*noticeUser {
	if len(b.pending) == 0 {
		return nil
	}
	out := make([]*noticeUser, 0, len(b.pending))
	for name, u := range b.pending {
		if u.want == u.next.Zone {
			delete(b.pending, name)
			continue
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(p, q *noticeUser) int { return cmp.Compare(p.pos, q.pos) })
	return out
}

// zoneDue is when u's pending zone change may go out: settled for
// ZoneSettle, and ZoneGap·2^(k-1) (at most MaxZoneGap) after the k-th zone
// notice.
func (x *noticer) zoneDue(u *noticeUser) time.Time {
	due := u.since.Add(x.o.ZoneSettle)
	if k := u.next.ZoneN; k > 0 {
		gap := x.o.ZoneGap
		for i := 1; i < k && gap < MaxZoneGap; i++ {
			gap *= 2
		}
		if last := time.UnixMilli(u.next.ZoneAt).Add(min(gap, MaxZoneGap)); last.After(due) {
			due = last
		}
	}
	return due
}

func (x *noticer) endsSoon(u *noticeUser) {
	u.next.EndsSoon = true
	x.queue(u, NoticeMsg{Kind: KindEndsSoon, EndsAt: u.board.end.UTC().Format(time.RFC3339)})
}

// queue adds a notice to u's outgoing ones (sent once its record is
// written).
func (x *noticer) queue(u *noticeUser, m NoticeMsg) {
	id := u.board.id
	m.Type, m.Contest, m.Window, m.Division, m.User = TypeNotice, id.Contest, WindowString(id.Window), id.Division, u.user
	u.out = append(u.out, m)
	if !u.dirty {
		u.dirty = true
		x.dirty = append(x.dirty, u)
	}
}

func noticeSubject(m *NoticeMsg) string { return streams.LiveNoticeSubject(m.Contest, m.User) }
