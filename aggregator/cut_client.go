package aggregator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// CutClient asks the shared scorers of every process for exact cuts and
// reads their progress (cut.go) from a process that scores nothing: a
// snapshotter of its own (rankstream run --only snapshotter). It is the
// snapshotter's view of scorers it does not hold.
type CutClient struct {
	js         jetstream.JetStream
	partitions int
	ttl        time.Duration
	replicas   int

	mu sync.Mutex
	kv jetstream.KeyValue
}

// NewCutClient works on the lease bucket of js (leases of ttl, replicas
// copies) for EVENTS of partitions partitions.
func NewCutClient(js jetstream.JetStream, partitions int, ttl time.Duration, replicas int) *CutClient {
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	return &CutClient{js: js, partitions: partitions, ttl: ttl, replicas: replicas}
}

func (c *CutClient) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kv != nil {
		return c.kv, nil
	}
	kv, err := streams.EnsureLeases(ctx, c.js, c.ttl, c.replicas)
	if err != nil {
		return nil, fmt.Errorf("aggregator: cut client: %w", err)
	}
	c.kv = kv
	return kv, nil
}

// CaughtUp is true: whether the holders caught up is read per cut
// (Progress), and the snapshotter waits for its own ranker to be ready.
func (c *CutClient) CaughtUp() bool { return true }

// Processed is 0: the scorers are elsewhere.
func (c *CutClient) Processed() uint64 { return 0 }

// Shared is true: cuts go through the lease bucket.
func (c *CutClient) Shared() bool { return true }

// Barrier is ErrNoBarrier: other processes' scorers cannot be held.
func (c *CutClient) Barrier(context.Context) (uint64, bool, func(), error) {
	return 0, false, nil, ErrNoBarrier
}

// Partitions is the number of EVENTS partitions.
func (c *CutClient) Partitions() int { return c.partitions }

// Progress reads each leased partition's applied EVENTS sequence.
func (c *CutClient) Progress(ctx context.Context) (map[int]uint64, error) {
	kv, err := c.bucket(ctx)
	if err != nil {
		return nil, err
	}
	return partitionProgress(ctx, kv, c.partitions)
}

// RequestCut asks every partition's holder for a cut; ReleaseCut must follow.
func (c *CutClient) RequestCut(ctx context.Context) (uint64, error) {
	kv, err := c.bucket(ctx)
	if err != nil {
		return 0, err
	}
	return requestCut(ctx, kv)
}

// ReleaseCut lets the workers held for cut n publish again.
func (c *CutClient) ReleaseCut(ctx context.Context, n uint64) error {
	kv, err := c.bucket(ctx)
	if err != nil {
		return err
	}
	return releaseCut(ctx, kv, n)
}

// requestCut writes a new cut number to the request key (cut.go).
func requestCut(ctx context.Context, kv jetstream.KeyValue) (uint64, error) {
	n := uint64(time.Now().UnixNano())
	if _, err := kv.Put(ctx, cutRequestKey, []byte(strconv.FormatUint(n, 10))); err != nil {
		return 0, fmt.Errorf("aggregator: request cut: %w", err)
	}
	return n, nil
}

// releaseCut writes n to the release key.
func releaseCut(ctx context.Context, kv jetstream.KeyValue, n uint64) error {
	if _, err := kv.Put(ctx, cutReleaseKey, []byte(strconv.FormatUint(n, 10))); err != nil {
		return fmt.Errorf("aggregator: release cut: %w", err)
	}
	return nil
}

// partitionProgress reads, for every partition currently leased by any
// process, the EVENTS sequence up to which its holder has applied it (as of
// the holder's last lease round).
func partitionProgress(ctx context.Context, kv jetstream.KeyValue, partitions int) (map[int]uint64, error) {
	out := make(map[int]uint64, partitions)
	kl, err := kv.ListKeysFiltered(ctx, streams.PartitionLeasesFilter)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return out, nil
		}
		return nil, fmt.Errorf("aggregator: progress: %w", err)
	}
	for k := range kl.Keys() {
		p, err := strconv.Atoi(strings.TrimPrefix(k, "partition."))
		if err != nil {
			continue
		}
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue // released or expired meanwhile
		}
		if _, seq, ok := strings.Cut(string(e.Value()), " "); ok {
			if n, err := strconv.ParseUint(seq, 10, 64); err == nil {
				out[p] = n
			}
		}
	}
	return out, nil
}
