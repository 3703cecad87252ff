package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrReplicasUnavailable is returned when the configured nats.replicas
// cannot be had: the server is a single node (replicas > 1 need a cluster)
// or the cluster has fewer nodes than asked for.
var ErrReplicasUnavailable = errors.New("streams: replicas unavailable")

// jsReplicasNotSupported is the JetStream error code of "replicas > 1 not
// supported in non-clustered mode".
const jsReplicasNotSupported = 10074

// MaxReplicas is JetStream's limit of replicas per stream.
const MaxReplicas = 5

// KVStreamName is the stream behind KV bucket b.
func KVStreamName(bucket string) string { return "KV_" + bucket }

// ObjectStreamName is the stream behind object store b.
func ObjectStreamName(bucket string) string { return "OBJ_" + bucket }

// keepReplicas returns the replicas to ask for on stream name: want, or the
// stream's current count when that is higher. An existing stream's replicas
// are never lowered (a scale-down drops copies an operator asked for); the
// refusal to lower is logged as a warning.
func keepReplicas(ctx context.Context, js jetstream.JetStream, name string, want int, log *slog.Logger) int {
	if want <= 0 {
		want = 1
	}
	st, err := js.Stream(ctx, name)
	if err != nil {
		return want // absent (or unreachable: the create answers for it)
	}
	have := st.CachedInfo().Config.Replicas
	if have > want {
		if log == nil {
			log = slog.Default().With("component", "streams")
		}
		log.Warn("nats.replicas is lower than the stream's replicas; keeping them (never lowered)",
			"stream", name, "configured", want, "existing", have)
		return have
	}
	return want
}

// replicasErr explains a refused raise: how to get the replicas or migrate.
func replicasErr(name string, want int, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jsReplicasNotSupported {
		return fmt.Errorf("%w: %s: nats.replicas %d needs a JetStream cluster of at least %d nodes, "+
			"this server is a single node (%v); run the cluster of deploy/nats-cluster and point nats.url at it, "+
			"or set nats.replicas to 1 (to migrate an existing store, see docs/security.md, \"Replicas\")",
			ErrReplicasUnavailable, name, want, want, err)
	}
	return err
}

// checkReplicas fails when a stream ended up with fewer replicas than
// asked for (a server that placed fewer than configured).
func checkReplicas(name string, want int, info *jetstream.StreamInfo) error {
	if info == nil || info.Config.Replicas >= want {
		return nil
	}
	return fmt.Errorf("%w: %s has %d replicas, nats.replicas asks for %d; "+
		"the cluster needs at least %d nodes with JetStream (see docs/security.md, \"Replicas\")",
		ErrReplicasUnavailable, name, info.Config.Replicas, want, want)
}

// attemptWithin bounds one create or update request of retryTransient.
const attemptWithin = 5 * time.Second

// retryTransient runs create until it succeeds, fails for good, or
// ensureReadyWithin passes: on a forming or loaded cluster the placement of
// a replicated bucket can outlast one JetStream API timeout, and two
// processes starting together race to create it. Each attempt has
// attemptWithin of its own, so one request left unanswered by a cluster
// that is electing its meta leader cannot use up the whole window.
func retryTransient(ctx context.Context, create func(ctx context.Context) error) error {
	return RetryTransient(ctx, create)
}

// RetryTransient is retryTransient for the streams other packages own
// (the ranker's RANKS feed): the same window, the same bound per attempt.
func RetryTransient(ctx context.Context, create func(ctx context.Context) error) error {
	deadline := time.Now().Add(ensureReadyWithin)
	for {
		actx, cancel := context.WithTimeout(ctx, attemptWithin)
		err := create(actx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}
