package aggregator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Dead letters are published asynchronously (letters.go has the rules that
// keep them exact): lateLetters and deadLetter hand each letter to sendLetter.

// lateLetters dead-letters an event late for several contests at once: the
// letters (all of the same EVENTS sequence, so the DLQ_LATE mark is the same
// whichever is stored last) are in flight together.
func (w *worker) lateLetters(ctx context.Context, im *inMsg, ps *partState, late []LateHit) {
	for _, l := range late {
		if m := w.lateMsg(im, ps, l); m != nil && !w.sendLetter(ctx, m, streams.DLQLate, im.Seq) {
			return
		}
	}
}

// loadDLQMarks reads, per partition, the highest EVENTS sequence already
// dead-lettered, so that re-reading the stream does not dead-letter twice:
// an invalid event has one letter (skipped up to its mark), a late one a
// letter per contest (skipped below the mark; see lateMsg).
func (s *Scorer) loadDLQMarks(ctx context.Context) error {
	for p := 0; p < s.opts.Partitions; p++ {
		if err := s.loadPartDLQMarks(ctx, s.workers[p%len(s.workers)].part(p), p); err != nil {
			return err
		}
	}
	return nil
}

// loadPartDLQMarks retries what a forming or electing cluster answers
// (no responders, timeouts, 503s) within streams.RetryTransient's window:
// a DLQ stream created a moment ago may not have a leader yet.
func (s *Scorer) loadPartDLQMarks(ctx context.Context, ps *partState, p int) error {
	for _, x := range []struct {
		stream, subj string
		dst          *uint64
	}{
		{streams.DLQInvalid, streams.DLQInvalidSubject(p), &ps.invalidMark},
		{streams.DLQLate, streams.DLQLateSubject(p), &ps.lateMark},
	} {
		var m *jetstream.RawStreamMsg
		err := streams.RetryTransient(ctx, func(ctx context.Context) error {
			st, err := s.opts.JS.Stream(ctx, x.stream)
			if err != nil {
				return fmt.Errorf("aggregator: scorer: %s: %w", x.stream, err)
			}
			m, err = st.GetLastMsgForSubject(ctx, x.subj)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				m, err = nil, nil
			}
			if err != nil {
				return fmt.Errorf("aggregator: scorer: last of %s: %w", x.subj, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if m == nil {
			continue
		}
		if v, err := strconv.ParseUint(m.Header.Get(streams.HeaderSeq), 10, 64); err == nil && v > *x.dst {
			*x.dst = v
		}
	}
	return nil
}

func (w *worker) deadLetter(ctx context.Context, im *inMsg, partition int, reason string, err error) {
	w.s.m.Rejected.WithLabelValues(reason).Inc()
	ps := w.part(partition)
	if im.Seq <= ps.invalidMark {
		return
	}
	m := nats.NewMsg(streams.DLQInvalidSubject(partition))
	m.Data = im.Msg.Data()
	m.Header.Set(streams.HeaderReason, reason)
	m.Header.Set(streams.HeaderError, err.Error())
	m.Header.Set(streams.HeaderSubject, im.Msg.Subject())
	m.Header.Set(streams.HeaderSeq, strconv.FormatUint(im.Seq, 10))
	m.Header.Set(streams.HeaderMsgID, "invalid-"+strconv.FormatUint(im.Seq, 10))
	w.s.log.Info("event dead-lettered", "reason", reason, "subject", im.Msg.Subject(), "seq", im.Seq,
		"trace_id", traceID(im.Msg.Data()), "err", err)
	w.sendLetter(ctx, m, streams.DLQInvalid, im.Seq)
}

// lateMsg is the dead letter of an event late for l (nil: already in DLQ_LATE).
func (w *worker) lateMsg(im *inMsg, ps *partState, l LateHit) *nats.Msg {
	c, win := l.Contest, l.Window
	w.s.m.Late.WithLabelValues(c.ID).Inc()
	// Below the mark every letter of the event is stored. At the mark some
	// may not be (a process died between two letters of one event): they
	// are all sent again under their Nats-Msg-Id, and DLQ_LATE drops the
	// ones it holds (within its duplicate window).
	if im.Seq < ps.lateMark {
		return nil
	}
	p, _, _, _ := streams.ParseEventSubject(im.Msg.Subject())
	m := nats.NewMsg(streams.DLQLateSubject(p))
	m.Data = im.Msg.Data()
	m.Header.Set(streams.HeaderReason, contest.ReasonLate)
	m.Header.Set(streams.HeaderError, lateError(im.Time, l))
	m.Header.Set(streams.HeaderSubject, im.Msg.Subject())
	m.Header.Set(streams.HeaderSeq, strconv.FormatUint(im.Seq, 10))
	m.Header.Set(streams.HeaderContest, c.ID)
	m.Header.Set(streams.HeaderWindow, win.Start.UTC().Format(time.RFC3339))
	m.Header.Set(streams.HeaderMsgID, "late-"+c.ID+"-"+strconv.FormatInt(win.Key(), 10)+"-"+strconv.FormatUint(im.Seq, 10))
	w.s.log.Info("late event", "contest", c.ID, "subject", im.Msg.Subject(), "seq", im.Seq,
		"trace_id", traceID(im.Msg.Data()))
	return m
}

// dlqTimeout bounds one attempt of a dead-letter publish: a request whose
// reply died with a server would otherwise wait for ctx (which may have no
// end), holding the worker and every partition it owns.
const dlqTimeout = 5 * time.Second

// publishDLQ publishes synchronously: a dead letter must be stored before the
// event counts as handled. Retries (each attempt bounded) until ctx ends.
func (w *worker) publishDLQ(ctx context.Context, m *nats.Msg, stream string) {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, dlqTimeout)
		_, err := w.s.opts.JS.PublishMsg(actx, m)
		cancel()
		if err == nil {
			return
		}
		w.s.m.PublishErrors.WithLabelValues(stream).Inc()
		if ctx.Err() != nil {
			return
		}
		w.s.log.Error("dead-letter publish failed, retrying", "stream", stream, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
