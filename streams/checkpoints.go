package streams

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// CheckpointBucket is the JetStream object store holding the scorer's
// per-partition checkpoints (see docs/exactly-once.md).
const CheckpointBucket = "RANKSTREAM_CHECKPOINTS"

// CheckpointObject is the object name of partition p's checkpoint.
func CheckpointObject(p int) string { return "partition-" + strconv.Itoa(p) }

// EnsureCheckpoints creates (or updates) the checkpoint object store with
// replicas copies (0 means 1) and returns it. The store gets a JetStream
// context of its own on js's connection: an object put waits for all of its
// context's async publishes, which on the scorer's context (streaming
// standings) might never all be complete at once.
func EnsureCheckpoints(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.ObjectStore, error) {
	replicas = keepReplicas(ctx, js, ObjectStreamName(CheckpointBucket), replicas, nil)
	js, err := jetstream.New(js.Conn())
	if err != nil {
		return nil, fmt.Errorf("streams: jetstream for %s: %w", CheckpointBucket, err)
	}
	var obs jetstream.ObjectStore
	err = retryTransient(ctx, func(ctx context.Context) (err error) {
		obs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      CheckpointBucket,
			Description: "scorer state per EVENTS partition with the stream sequence it covers",
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: ensure %s: %w", CheckpointBucket, replicasErr(CheckpointBucket, replicas, err))
	}
	return obs, nil
}
