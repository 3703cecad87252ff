package notifier

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// noticeKeyPrefix is a board's key prefix in the notice bucket:
// <contest>.<window start, Unix s>.<division>, the division base64url
// encoded ("_" when none), since a division value may hold any character.
func noticeKeyPrefix(id contest.BoardID) string {
	div := "_"
	if id.Division != "" {
		div = base64.RawURLEncoding.EncodeToString([]byte(id.Division))
	}
	return id.Contest + "." + strconv.FormatInt(id.Window, 10) + "." + div
}

// storeTimeout bounds one load or one round of record writes.
const storeTimeout = 5 * time.Second

// load reads the board's records (what an earlier process sent).
func (x *noticer) load(ctx context.Context, b *noticeBoard) {
	if x.o.KV == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	w, err := x.o.KV.Watch(ctx, b.key+".*", jetstream.IgnoreDeletes())
	if err != nil {
		x.m.ClaimErrors.WithLabelValues("load").Inc()
		x.log.Warn("notice records not loaded: notices of this board may repeat", "board", b.id.String(), "err", err)
		return
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				return // initial values done
			}
			var s noticeSent
			if err := json.Unmarshal(e.Value(), &s); err != nil {
				x.log.Warn("bad notice record", "key", e.Key(), "err", err)
				continue
			}
			u := b.user(strings.TrimPrefix(e.Key(), b.key+"."))
			u.sent, u.next, u.rev = s, s.clone(), e.Revision()
			if s.Zone {
				u.want = true
				b.zoneIn[u.user] = u
			}
		case <-ctx.Done():
			x.m.ClaimErrors.WithLabelValues("load").Inc()
			x.log.Warn("notice records not loaded in time", "board", b.id.String())
			return
		}
	}
}

// flush writes the records of the users with outgoing notices, then
// publishes the notices whose record was written: a record is written
// before its notices go out, with the revision it was read at, so no
// notice is sent twice (a crash between the two loses it instead) and of
// two processes only the first to write sends.
func (x *noticer) flush(ctx context.Context) {
	users := x.dirty
	x.dirty = nil
	ok := make([]bool, len(users))
	if x.o.KV == nil {
		for i := range ok {
			ok[i] = true
		}
	} else {
		x.claim(ctx, users, ok)
	}
	for i, u := range users {
		if !ok[i] {
			continue // retried next round (still dirty) or dropped (conflict)
		}
		u.dirty = false
		u.sent = u.next.clone()
		for j := range u.out {
			x.send(&u.out[j])
		}
		u.out = u.out[:0]
	}
}

// claim writes the users' records asynchronously and waits for the acks.
func (x *noticer) claim(ctx context.Context, users []*noticeUser, ok []bool) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	acks := make([]jetstream.PubAckFuture, len(users))
	for i, u := range users {
		data, _ := json.Marshal(u.next)
		msg := &nats.Msg{Subject: "$KV." + streams.NoticeBucket + "." + u.board.key + "." + u.user, Data: data,
			Header: nats.Header{}}
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(u.rev, 10))
		f, err := x.o.JS.PublishMsgAsync(msg)
		if err != nil {
			x.retry(u, err)
			continue
		}
		acks[i] = f
	}
	for i, f := range acks {
		if f == nil {
			continue
		}
		select {
		case a := <-f.Ok():
			users[i].rev, ok[i] = a.Sequence, true
		case err := <-f.Err():
			x.claimFailed(ctx, users[i], err)
		case <-ctx.Done():
			x.retry(users[i], ctx.Err())
		}
	}
}

// claimFailed handles a refused record write: another process wrote the
// record first (its notices stand: ours are dropped and the record
// re-read), or an error (retried next round).
func (x *noticer) claimFailed(ctx context.Context, u *noticeUser, err error) {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || (apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence &&
		apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		x.retry(u, err)
		return
	}
	x.m.ClaimErrors.WithLabelValues("conflict").Inc()
	u.dirty, u.out = false, u.out[:0]
	e, gerr := x.o.KV.Get(ctx, u.board.key+"."+u.user)
	if gerr != nil {
		u.next = u.sent.clone()
		return
	}
	var s noticeSent
	if json.Unmarshal(e.Value(), &s) == nil {
		u.sent, u.next, u.rev = s, s.clone(), e.Revision()
	}
	x.setWant(u.board, u, u.want, x.now())
}

func (x *noticer) retry(u *noticeUser, err error) {
	x.m.ClaimErrors.WithLabelValues("error").Inc()
	x.log.Warn("notice record not written; retrying", "board", u.board.id.String(), "user", u.user, "err", err)
	x.dirty = append(x.dirty, u)
}

func (x *noticer) send(m *NoticeMsg) {
	data, err := json.Marshal(m)
	if err == nil {
		err = x.pub.Publish(noticeSubject(m), data)
	}
	if err != nil {
		x.m.ClaimErrors.WithLabelValues("publish").Inc()
		x.log.Warn("notice not published", "kind", m.Kind, "user", m.User, "err", err)
		return
	}
	x.m.Sent.WithLabelValues(m.Kind).Inc()
}
