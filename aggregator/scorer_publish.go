package aggregator

import (
	"context"

	"github.com/nats-io/nats.go"
)

// publishAsync publishes msg in the worker's current round (pubacks.go),
// waiting first, under back-pressure, until the answers outstanding are in;
// the round's answers join the next checkpoint round. False: not published
// (refused, or ctx ended while waiting).
func (w *worker) publishAsync(ctx context.Context, msg *nats.Msg, target string) bool {
	a := w.s.acks
	err := w.openRound()
	if err == nil && a.outstanding.Load() >= maxPubAcks {
		err = a.waitIdle(ctx, ackTimeout)
		if ctx.Err() != nil {
			return false
		}
	}
	if err == nil {
		err = a.publish(w.round, msg)
	}
	if err != nil {
		w.s.m.PublishErrors.WithLabelValues(target).Inc()
		w.s.log.Error("publish", "stream", target, "subject", msg.Subject, "err", err)
		return false
	}
	return true
}

// openRound makes sure a round takes the flush's publishes.
func (w *worker) openRound() error {
	if w.round != nil {
		return nil
	}
	r, err := w.s.acks.open(w.s.ckpts != nil)
	if err != nil {
		return err
	}
	w.round = r
	return nil
}

// sealRound ends the flush's round, if it published anything; a
// checkpoint round will wait for its answers.
func (w *worker) sealRound() {
	r := w.round
	if r == nil {
		return
	}
	w.round = nil
	w.s.acks.seal(r)
	if r.keep {
		w.rounds = append(w.rounds, r)
	}
}
