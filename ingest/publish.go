package ingest

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// publish stores msgs in JetStream: room check, publish, then wait for
// every ack. It returns how many were new and how many duplicates; any error
// wraps ErrUnavailable.
//
// The messages are published with core NATS to one inbox of the request's
// own (a JetStream publish is a message with a reply subject; the stream
// answers each with one PubAck, an error, or a no-responders status), and
// the acks are counted from a channel subscription on that inbox. This is
// what jetstream.PublishMsgAsync does, without its per-message cost: a
// future with two channels and a map entry under the JetStream context's
// lock, a reply subject per message, and a JSON decode of every PubAck
// (streams.PubAckResult reads a plain one without decoding it; the
// scorer's publishes count their acks the same way, aggregator/pubacks.go). Order and identity of the acks do not matter: the
// answer only counts them, and any failure makes it a 503.
func (h *HTTP) publish(ctx context.Context, msgs []*nats.Msg) (accepted, dups int, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.publishTimeout)
	defer cancel()
	var size uint64
	for _, m := range msgs {
		size += msgSize(m)
	}
	if err := h.gate.reserve(ctx, len(msgs), size); err != nil {
		return 0, 0, err
	}
	nc := h.js.Conn()
	inbox := nc.NewInbox()
	acks := make(chan *nats.Msg, len(msgs)) // one answer per message: never full
	sub, err := nc.ChanSubscribe(inbox, acks)
	if err != nil {
		h.gate.invalidate()
		return 0, 0, fmt.Errorf("%w: subscribe to acks: %w", ErrUnavailable, err)
	}
	defer func() { _ = sub.Unsubscribe() }() // late acks of a failed request are dropped
	for _, m := range msgs {
		m.Reply = inbox
		if err := nc.PublishMsg(m); err != nil {
			h.gate.invalidate()
			return 0, 0, fmt.Errorf("%w: publish %s: %w", ErrUnavailable, m.Subject, err)
		}
	}
	for range msgs {
		select {
		case ack := <-acks:
			dup, err := streams.PubAckResult(ack)
			if err != nil {
				h.gate.invalidate()
				return 0, 0, fmt.Errorf("%w: publish: %w", ErrUnavailable, err)
			}
			if dup {
				dups++
			} else {
				accepted++
			}
		case <-ctx.Done():
			h.gate.invalidate()
			return 0, 0, fmt.Errorf("%w: waiting for publish acks: %w", ErrUnavailable, ctx.Err())
		}
	}
	return accepted, dups, nil
}
