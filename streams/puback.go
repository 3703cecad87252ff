package streams

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrInvalidPubAck is an answer to a publish that is no PubAck.
var ErrInvalidPubAck = errors.New("streams: invalid publish ack")

// Parts of a PubAck: a plain one is {"stream":"<name>","seq":<n>} (a
// domain may follow); a duplicate adds "duplicate": true, a refusal is
// {"error":{…}} (nats-server's stream.go and JSPubAckResponse).
var (
	ackStart     = []byte(`{"stream":`)
	ackSeq       = []byte(`"seq":`)
	ackError     = []byte(`"error"`)
	ackDuplicate = []byte(`duplicate`)
)

// PubAckResult reads the stream's answer to one publish made with core
// NATS and a reply subject of the publisher's own (what
// jetstream.PublishMsgAsync does, without a future per message): whether
// the message was a duplicate, or why it was not stored. An answer that
// contains neither "error" nor "duplicate" anywhere (not even in the stream
// or domain name) and has the shape of a PubAck is a plain PubAck, read
// without a JSON decode; every other answer is decoded in full. The
// no-responders status (no stream takes the subject) wraps
// nats.ErrNoResponders.
func PubAckResult(m *nats.Msg) (duplicate bool, err error) {
	d := m.Data
	if len(d) == 0 && m.Header != nil {
		// A status message: 503 when no stream listens on the subject.
		if st := m.Header.Get("Status"); st == "503" {
			return false, fmt.Errorf("%w: %w", ErrInvalidPubAck, nats.ErrNoResponders)
		} else if st != "" {
			return false, fmt.Errorf("%w: status %s %s", ErrInvalidPubAck, st, m.Header.Get("Description"))
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
		return false, fmt.Errorf("%w: %w", ErrInvalidPubAck, err)
	}
	if resp.Error != nil {
		return false, resp.Error
	}
	if resp.Stream == "" {
		return false, fmt.Errorf("%w: %q", ErrInvalidPubAck, d)
	}
	return resp.Duplicate, nil
}
