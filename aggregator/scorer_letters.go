package aggregator

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Dead letters in flight. A worker publishes its dead letters
// asynchronously and keeps them (w.letters) until their acks are seen;
// settleLetters waits for those acks and publishes again, synchronously and
// under the same Nats-Msg-Id (deduplicated if it was stored after all),
// every letter whose ack did not come. The guarantees of the synchronous
// publish they replace hold:
//
//   - An event counts as processed (Scorer.Processed, the shared-mode
//     progress) and is covered by a checkpoint only once its letters are
//     stored: while letters are in flight the worker holds its progress
//     back (heldSeq), and a checkpoint round settles them first.
//   - The DLQ marks (loadDLQMarks: the sequence in the last letter of a
//     partition's subject) never pass a lost letter: a letter is put in
//     flight only when no letter of another event is in flight on its
//     subject, so the letters of one subject are stored in event order,
//     with no gap, whichever way a process dies.
//
// Letters settle at every flush tick, before a checkpoint, a barrier or
// going live, and when maxLetters are in flight.

// maxLetters bounds the letters in flight of one worker.
const maxLetters = 256

// asyncBusy: with this many async publishes of the connection pending
// (SCORES flushes share the window), a letter is published synchronously.
const asyncBusy = 1024

// letter is a dead letter in flight.
type letter struct {
	msg    *nats.Msg
	stream string
	seq    uint64                 // EVENTS sequence of the event it is the letter of
	f      jetstream.PubAckFuture // nil: the async publish was refused; published when settled
}

// sendLetter puts m, a letter of the event at seq for stream, in flight. It
// returns false when ctx ended before m could be sent in order (m is not sent).
func (w *worker) sendLetter(ctx context.Context, m *nats.Msg, stream string, seq uint64) bool {
	for _, l := range w.letters {
		if l.msg.Subject == m.Subject && l.seq != seq {
			if !w.settleLetters(ctx) {
				return false
			}
			break
		}
	}
	if w.s.opts.JS.PublishAsyncPending() >= asyncBusy {
		// The async window is taken (a flush of standings): an async
		// publish would stall, so the letter is stored at once, as before.
		w.publishDLQ(ctx, m, stream)
		return ctx.Err() == nil
	}
	f, err := w.s.opts.JS.PublishMsgAsync(m, jetstream.WithStallWait(time.Millisecond))
	if err != nil {
		f = nil // too many publishes pending: settleLetters publishes it
	}
	w.letters = append(w.letters, letter{msg: m, stream: stream, seq: seq, f: f})
	if len(w.letters) >= maxLetters {
		return w.settleLetters(ctx)
	}
	return true
}

// settleLetters waits until every letter in flight is stored, then releases
// the progress held back for them. False: ctx ended first (nothing released).
func (w *worker) settleLetters(ctx context.Context) bool {
	if len(w.letters) == 0 {
		return ctx.Err() == nil
	}
	actx, cancel := context.WithTimeout(ctx, dlqTimeout)
	defer cancel()
	for i, l := range w.letters {
		if l.f == nil || !acked(actx, l.f) {
			w.publishDLQ(ctx, l.msg, l.stream)
		}
		if ctx.Err() != nil {
			w.letters = w.letters[i:] // maybe not stored: kept in flight, nothing more is sent
			return false
		}
	}
	clear(w.letters)
	w.letters = w.letters[:0]
	if w.heldSeq > 0 {
		w.ack(w.heldSeq)
		w.heldSeq = 0
	}
	return true
}

// acked waits for f's ack until ctx ends.
func acked(ctx context.Context, f jetstream.PubAckFuture) bool {
	select {
	case <-f.Ok():
		return true
	case <-f.Err():
	case <-ctx.Done():
	}
	return false
}

// handled marks the event at seq handled: processed at once, or once the
// letters in flight are stored.
func (w *worker) handled(seq uint64) {
	if len(w.letters) > 0 {
		w.heldSeq = seq
		return
	}
	w.ack(seq)
}

// ack records that every event up to seq the worker was fed is processed.
func (w *worker) ack(seq uint64) {
	w.s.advance(seq)
	if w.s.shared != nil {
		w.doneA.Store(seq)
	}
}
