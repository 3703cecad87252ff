package aggregator

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// lateLetters dead-letters an event late for several contests at once: the
// letters (all of the same EVENTS sequence, so the DLQ_LATE mark is the same
// whichever is stored last) are published together and the worker waits for
// all their acks, one round trip instead of one per contest. A letter not
// acknowledged in time goes through publishDLQ (same Nats-Msg-Id:
// deduplicated if it was stored after all).
func (w *worker) lateLetters(ctx context.Context, im *inMsg, ps *partState, late []LateHit) {
	var msgs []*nats.Msg
	for _, l := range late {
		if m := w.lateMsg(im, ps, l); m != nil {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 1 {
		w.publishDLQ(ctx, msgs[0], streams.DLQLate)
		return
	}
	futs := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		futs[i], _ = w.s.opts.JS.PublishMsgAsync(m) // nil: published again below
	}
	actx, cancel := context.WithTimeout(ctx, dlqTimeout)
	defer cancel()
	for i, f := range futs {
		if f != nil && acked(actx, f) {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		w.publishDLQ(ctx, msgs[i], streams.DLQLate)
	}
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
