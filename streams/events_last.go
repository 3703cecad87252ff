package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// LastEventSeq is the sequence of the last message EVENTS holds (0: none).
// Unlike the stream state's LastSeq it is never a deleted message's: a
// reader bounded by LastSeq waits for ever for a message that will not
// come once the stream's last message was deleted.
func LastEventSeq(ctx context.Context, events jetstream.Stream) (uint64, error) {
	m, err := events.GetLastMsgForSubject(ctx, "events.*.>") // every stored (partitioned) subject; ">" would give the deleted LastSeq
	switch {
	case err == nil:
		return m.Sequence, nil
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return 0, nil
	}
	return 0, fmt.Errorf("streams: last event: %w", err)
}
