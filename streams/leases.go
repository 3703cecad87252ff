package streams

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
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
	err := retryTransient(ctx, func(ctx context.Context) (err error) {
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: ensure %s: %w", cfg.Bucket, replicasErr(cfg.Bucket, cfg.Replicas, err))
	}
	return kv, nil
}

// LeaseConn opens a connection of its own for lease traffic, with the
// options (servers, credentials, TLS) of js's connection, and a JetStream
// context on it; close the connection when done. A lease refresh on the
// connection that also carries a partition's catch-up waits behind the
// messages queued before its reply, for longer than a lease lives.
func LeaseConn(js jetstream.JetStream) (*nats.Conn, jetstream.JetStream, error) {
	o := js.Conn().Opts
	o.Name += " leases"
	nc, err := o.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("streams: lease connection: %w", err)
	}
	ljs, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("streams: lease connection: %w", err)
	}
	return nc, ljs, nil
}
