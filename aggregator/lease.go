package aggregator

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease is one key of the RANKSTREAM_LEASES bucket (whose keys expire TTL
// after their last write) held by at most one process: taken with Create
// (which fails while anyone holds it), refreshed with a compare-and-set
// Update on the revision last written, so a lease is never held twice. A
// holder that cannot refresh for TTL/2 gives the lease up before it can
// expire, so a new holder (which can only Create once the key expired) never
// overlaps with the old one while NATS answers. The Leader (role leases) and
// the shared-mode scorer (partition leases) hold their keys with it.
//
// A Lease is used from one goroutine.
type Lease struct {
	kv      jetstream.KeyValue
	key     string
	ttl     time.Duration
	rev     uint64
	renewed time.Time
}

// NewLease returns the lease of key in kv, not held.
func NewLease(kv jetstream.KeyValue, key string, ttl time.Duration) *Lease {
	return &Lease{kv: kv, key: key, ttl: ttl}
}

// Take tries to take the free lease with value; false when someone holds it
// (or NATS did not answer: try again next round).
func (l *Lease) Take(ctx context.Context, value []byte) bool {
	sent := time.Now() // the key lives TTL from a moment after this
	rev, err := l.kv.Create(ctx, l.key, value)
	if err != nil {
		return false
	}
	l.rev, l.renewed = rev, sent
	return true
}

// ErrLeaseLost is returned by Refresh when the lease is no longer this
// holder's: taken over, or not refreshed in time.
var ErrLeaseLost = errors.New("aggregator: lease lost")

// Refresh writes value to the held lease. An error wrapping ErrLeaseLost
// means the holder must stop at once; any other error (NATS trouble, still
// within TTL/2 of the last refresh) that it still holds the lease.
func (l *Lease) Refresh(ctx context.Context, value []byte) error {
	now := time.Now()
	rev, err := l.kv.Update(ctx, l.key, value, l.rev)
	switch {
	case err == nil:
		l.rev, l.renewed = rev, now
		return nil
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) ||
		errors.Is(err, jetstream.ErrKeyNotFound):
		return errors.Join(ErrLeaseLost, err)
	case now.Sub(l.renewed) > l.ttl/2:
		return errors.Join(ErrLeaseLost, errors.New("not refreshed in time"), err)
	}
	return err
}

// Release gives the lease back (only if still at the revision last
// written), so another process may take it at once rather than after TTL.
func (l *Lease) Release(ctx context.Context) error {
	return l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.rev))
}

// Renewed is when the last answered write of the lease (Take or Refresh)
// was sent: the key lives at least until Renewed + TTL.
func (l *Lease) Renewed() time.Time { return l.renewed }

// Key is the lease's key in the bucket.
func (l *Lease) Key() string { return l.key }
