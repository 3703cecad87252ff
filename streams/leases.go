package streams

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseBucket is the KV bucket in which rankstream processes hold leases on
// EVENTS partitions and announce themselves. A key lives TTL after its last
// write, so a dead process's leases expire by themselves.
const LeaseBucket = "RANKSTREAM_LEASES"

// PartitionLeaseKey is the lease key of partition p; its value is the holder.
func PartitionLeaseKey(p int) string { return "partition." + strconv.Itoa(p) }

// PartitionLeasesFilter matches every partition lease key.
const PartitionLeasesFilter = "partition.*"

// RoleLeaseKey is the key of a single-holder lease (e.g. "ranker": the
// process that writes the read model, pushes and snapshots).
func RoleLeaseKey(name string) string { return "role." + name }

// MemberKey is the key a live process refreshes to be counted.
func MemberKey(instance string) string { return "member." + instance }

// MembersFilter matches every member key.
const MembersFilter = "member.*"

// EnsureLeases creates (or updates) the lease bucket with the given TTL.
func EnsureLeases(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	return ensureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:      LeaseBucket,
		Description: "partition leases and live members of the rankstream processes",
		TTL:         ttl,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
}

// ensureKV creates (or updates) the key-value bucket of cfg, keeping the
// replicas of an existing bucket where cfg.Replicas cannot be had, and
// retrying while JetStream is temporarily unavailable.
func ensureKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	cfg.Replicas = keepReplicas(ctx, js, KVStreamName(cfg.Bucket), cfg.Replicas, nil)
	var kv jetstream.KeyValue
	err := retryTransient(ctx, func() (err error) {
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: ensure %s: %w", cfg.Bucket, replicasErr(cfg.Bucket, cfg.Replicas, err))
	}
	return kv, nil
}
