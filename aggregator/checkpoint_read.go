package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Reading a partition's checkpoint out of the object store. nats.go's
// object read waits for the object's chunks until its context's deadline
// (objResult.Read re-arms its read deadline until ctx is done, and without
// a deadline Get gives the whole read only the client's default timeout of
// 5 s). So a read whose chunk consumer stalled — its node lost in a cluster
// — held the partition run until the caller's deadline (minutes: nobody
// else could take the partition, TestClusterR3NodeLoss/shared hung in it),
// and without one a large checkpoint that needs more than 5 s was dropped
// and its partition replayed from the start. Each attempt now gets a
// deadline of its own, sized by the object (checkpointReadBase plus the
// size at checkpointReadRate), and a failed attempt is retried before the
// checkpoint counts as unreadable.
var (
	checkpointReadBase     = 10 * time.Second
	checkpointReadRate     = 10 << 20 // bytes per second an attempt is given at least
	checkpointReadAttempts = 3
)

// errNoCheckpoint: the partition has no checkpoint object.
var errNoCheckpoint = errors.New("no checkpoint")

// readCheckpoint reads the object name: errNoCheckpoint when there is none,
// ctx's error when ctx ended, the last attempt's error when every attempt
// failed.
func readCheckpoint(ctx context.Context, obs jetstream.ObjectStore, name string, log *slog.Logger) ([]byte, error) {
	var err error
	for attempt := 1; attempt <= checkpointReadAttempts; attempt++ {
		var data []byte
		data, err = readCheckpointOnce(ctx, obs, name)
		switch {
		case err == nil:
			return data, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, jetstream.ErrObjectNotFound):
			return nil, errNoCheckpoint
		}
		if attempt < checkpointReadAttempts {
			log.Warn("checkpoint read failed; retrying", "object", name, "attempt", attempt, "err", err)
		}
	}
	return nil, fmt.Errorf("%d attempts: %w", checkpointReadAttempts, err)
}

// readCheckpointOnce is one attempt, with a deadline sized by the object.
func readCheckpointOnce(ctx context.Context, obs jetstream.ObjectStore, name string) ([]byte, error) {
	ictx, cancel := context.WithTimeout(ctx, checkpointReadBase)
	info, err := obs.GetInfo(ictx, name)
	cancel()
	if err != nil {
		return nil, err
	}
	limit := checkpointReadBase + time.Duration(info.Size)*time.Second/time.Duration(checkpointReadRate)
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return obs.GetBytes(rctx, name)
}
