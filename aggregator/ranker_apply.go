package aggregator

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// applyRead applies a message of the current reader (an older one's are
// delivered again by it); its sequences, time and pending count are read
// from the reply subject (ackMeta), not from a MsgMetadata built per
// message. Under r.mu.
func (r *Ranker) applyRead(m readMsg, rd *scoresReader) {
	if m.gen != rd.gen {
		return
	}
	f, ok := ackMeta(m.msg.Reply())
	if !ok {
		return
	}
	rd.delivered(m, f)
	r.apply(m.msg, f.seq, time.Unix(0, f.ts))
}

// apply applies one SCORES message of stream sequence seq, unless its
// board group (or the cut markers) has it already. Under r.mu.
func (r *Ranker) apply(msg jetstream.Msg, seq uint64, ts time.Time) {
	subj := msg.Subject()
	if _, cut := cutPartition(subj); cut {
		if seq > r.cutSeq {
			r.cutSeq = seq
			r.stamp(seq, ts)
			r.applyCut(subj, msg.Data())
		}
		return
	}
	cid, win, div, user, ok := streams.ParseScoreSubject(subj)
	if !ok {
		return
	}
	id := contest.BoardID{Contest: cid, Window: win, Division: div}
	k := GroupOf(id, r.groupCount())
	if r.opts.Groups != nil && !r.reading[k] {
		r.foreignN.Add(1)
		r.m.Sinks.ScoresForeign.Inc()
		return
	}
	if seq <= r.lanes[k] {
		return // the group has it (a reader re-created from before)
	}
	r.lanes[k] = seq
	r.stamp(seq, ts)
	r.appliedN.Add(1)
	r.m.Sinks.ScoresApplied.Inc()
	sm, err := decodeScoreMsg(msg.Data())
	if err != nil {
		r.log.Warn("bad standing message", "subject", subj, "err", err)
		return
	}
	c := r.opts.Rules.Get(cid)
	if c == nil {
		return
	}
	b := r.boards[id]
	if b == nil {
		if sm.Removed {
			return
		}
		b = &rboard{id: id, group: k, lb: c.Leaderboard, tree: board.New(c.Leaderboard.KeyWords()),
			st: map[string]contest.Standing{}, seq: map[string]uint64{}, dirty: map[string]*dirtyEntry{}, src: c}
		r.boards[id] = b
	} else if b.stale(user, sm.SrcSeq) {
		r.staleN.Add(1)
		r.m.Sinks.ScoresStale.Inc()
		return
	} else if b.src != c {
		r.rekey(b, c)
	}
	b.set(user, sm)
	if et := eventTime(&sm, len(msg.Data()), msg.Headers()); !et.IsZero() && r.ready.Load() {
		r.rankedLat.Observe(timeSince(et))
		if b.since.IsZero() || et.Before(b.since) {
			b.since = et
		}
	}
}

// stamp records seq and its time ts as applied. Under r.mu.
func (r *Ranker) stamp(seq uint64, ts time.Time) {
	r.applied = max(r.applied, seq)
	r.lastMsg.Store(ts.UnixNano())
	if ts.After(r.now) {
		r.now = ts
	}
}

// StaleScores counts the standings dropped as older than the one held.
func (r *Ranker) StaleScores() uint64 { return r.staleN.Load() }

// stale reports whether a standing of user from the event of sequence
// srcSeq is older than the one b holds (or removed): a scorer cut off from
// the cluster delivers the publishes its client buffered after the new
// lease holder's. SrcSeq 0 (a standing republished without one, or written
// before SrcSeq was encoded) is never stale.
func (b *rboard) stale(user string, srcSeq uint64) bool {
	return srcSeq != 0 && srcSeq < b.seq[user]
}

func (b *rboard) set(user string, sm ScoreMsg) {
	if sm.SrcSeq > b.seq[user] {
		b.seq[user] = sm.SrcSeq
	}
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
