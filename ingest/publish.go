package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
// lock (shared with the scorer's SCORES publishes), a reply subject per
// message, and a JSON decode of every PubAck (pubAckResult reads a plain one
// without decoding it). Order and identity of the acks do not matter: the
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
			dup, err := pubAckResult(ack)
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

// errInvalidAck is an answer to a publish that is no PubAck.
var errInvalidAck = errors.New("ingest: invalid publish ack")

// Parts of a PubAck: a plain one is {"stream":"<name>","seq":<n>} (a
// domain may follow); a duplicate adds "duplicate": true, a refusal is
// {"error":{…}} (nats-server's stream.go and JSPubAckResponse).
var (
	ackStart     = []byte(`{"stream":`)
	ackSeq       = []byte(`"seq":`)
	ackError     = []byte(`"error"`)
	ackDuplicate = []byte(`duplicate`)
)

// pubAckResult reads the stream's answer to one publish: whether the
// message was a duplicate, or why it was not stored. An answer that
// contains neither "error" nor "duplicate" anywhere (not even in the stream
// or domain name) and has the shape of a PubAck is a plain PubAck, read
// without a JSON decode; every other answer is decoded in full.
func pubAckResult(m *nats.Msg) (duplicate bool, err error) {
	d := m.Data
	if len(d) == 0 && m.Header != nil {
		// A status message: 503 when no stream listens on the subject.
		if st := m.Header.Get("Status"); st == "503" {
			return false, fmt.Errorf("%w: %w", errInvalidAck, nats.ErrNoResponders)
		} else if st != "" {
			return false, fmt.Errorf("%w: status %s %s", errInvalidAck, st, m.Header.Get("Description"))
		}
	}
	if bytes.HasPrefix(d, ackStart) && bytes.Contains(d, ackSeq) &&
		!bytes.Contains(d, ackError) && !bytes.Contains(d, ackDuplicate) {
		return false, nil
	}
	var resp struct {
		jetstream.PubAck
		Error *jetstream.APIError `json:"error,omitempty"`
	}
	if err := json.Unmarshal(d, &resp); err != nil {
		return false, fmt.Errorf("%w: %w", errInvalidAck, err)
	}
	if resp.Error != nil {
		return false, resp.Error
	}
	if resp.Stream == "" {
		return false, fmt.Errorf("%w: %q", errInvalidAck, d)
	}
	return resp.Duplicate, nil
}
