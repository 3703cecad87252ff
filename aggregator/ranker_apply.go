package aggregator

import (
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// apply applies one SCORES message; it returns the message's stream
// sequence. Under r.mu.
func (r *Ranker) apply(msg jetstream.Msg) uint64 {
	meta, err := msg.Metadata()
	if err != nil {
		return 0
	}
	if meta.Sequence.Stream <= r.applied {
		return r.applied // delivered again by a restarted reader
	}
	r.applied = meta.Sequence.Stream
	r.lastMsg.Store(meta.Timestamp.UnixNano())
	if meta.Timestamp.After(r.now) {
		r.now = meta.Timestamp
	}
	if r.applyCut(msg.Subject(), msg.Data()) {
		return meta.Sequence.Stream
	}
	cid, win, div, user, ok := streams.ParseScoreSubject(msg.Subject())
	if !ok {
		return meta.Sequence.Stream
	}
	sm, err := decodeScoreMsg(msg.Data())
	if err != nil {
		r.log.Warn("bad standing message", "subject", msg.Subject(), "err", err)
		return meta.Sequence.Stream
	}
	c := r.opts.Rules.Get(cid)
	if c == nil {
		return meta.Sequence.Stream
	}
	id := contest.BoardID{Contest: cid, Window: win, Division: div}
	b := r.boards[id]
	if b == nil {
		if sm.Removed {
			return meta.Sequence.Stream
		}
		b = &rboard{id: id, group: GroupOf(id, r.groupCount()), lb: c.Leaderboard, tree: board.New(c.Leaderboard.KeyWords()),
			st: map[string]contest.Standing{}, dirty: map[string]*dirtyEntry{}, src: c}
		r.boards[id] = b
	} else if b.src != c {
		r.rekey(b, c)
	}
	b.set(user, sm)
	if et := eventTime(msg); !et.IsZero() && r.ready.Load() {
		r.m.EventLatency.WithLabelValues(LatencyRanked).Observe(timeSince(et))
		if b.since.IsZero() || et.Before(b.since) {
			b.since = et
		}
	}
	return meta.Sequence.Stream
}

func (b *rboard) set(user string, sm ScoreMsg) {
	var old []int64
	var changed bool
	if sm.Removed {
		old, changed = b.tree.Delete(user)
		delete(b.st, user)
	} else {
		b.key = b.lb.SortKey(sm.Standing, b.key)
		old, changed = b.tree.Upsert(user, b.key)
		if prev, ok := b.st[user]; ok && prev.LastPoints != sm.Standing.LastPoints {
			changed = true
		}
		b.st[user] = sm.Standing
	}
	if !changed {
		return
	}
	if d, ok := b.dirty[user]; ok {
		d.removed = sm.Removed
		return
	}
	b.dirty[user] = &dirtyEntry{old: old, removed: sm.Removed}
}
