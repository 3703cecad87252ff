package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrUnavailable is returned (wrapped) when the events stream cannot take a
// batch: it does not exist, JetStream does not answer, it is sealed, it is
// full, or a publish failed. The HTTP door answers 503 with Retry-After.
var ErrUnavailable = errors.New("ingest: events stream unavailable")

// streamGate answers "does the stream exist and have room for this batch"
// without a JetStream round trip per request: the stream info is cached for
// ttl, and what was reserved since the last fetch is added to the cached
// state, so the room check stays conservative between fetches.
type streamGate struct {
	js     jetstream.JetStream
	name   string
	ttl    time.Duration // of a successful fetch
	errTTL time.Duration // of a failed fetch

	mu      sync.Mutex
	fetched time.Time // zero: stale
	err     error     // of the last fetch
	cfg     gateConfig
	msgs    uint64 // stream state at fetch + reservations since
	bytes   uint64
}

type gateConfig struct {
	maxMsgs    int64 // ≤ 0: unlimited
	maxBytes   int64 // ≤ 0: unlimited
	maxMsgSize int32 // ≤ 0: unlimited
	discardNew bool
	sealed     bool
}

func newStreamGate(js jetstream.JetStream, name string) *streamGate {
	return &streamGate{js: js, name: name, ttl: time.Second, errTTL: 200 * time.Millisecond}
}

// refreshLocked fetches the stream info when the cached one is stale.
func (g *streamGate) refreshLocked(ctx context.Context) {
	age := time.Since(g.fetched)
	if !g.fetched.IsZero() && ((g.err == nil && age < g.ttl) || (g.err != nil && age < g.errTTL)) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	g.fetched = time.Now()
	st, err := g.js.Stream(ctx, g.name)
	if err != nil {
		g.err = fmt.Errorf("%w: stream %s: %w", ErrUnavailable, g.name, err)
		return
	}
	info := st.CachedInfo()
	g.err = nil
	g.cfg = gateConfig{
		maxMsgs:    info.Config.MaxMsgs,
		maxBytes:   info.Config.MaxBytes,
		maxMsgSize: info.Config.MaxMsgSize,
		discardNew: info.Config.Discard == jetstream.DiscardNew,
		sealed:     info.Config.Sealed,
	}
	g.msgs = info.State.Msgs
	g.bytes = info.State.Bytes
}

// maxMsgSize is the stream's largest message (0: unlimited), refreshing the
// cached info when stale. Its error wraps ErrUnavailable.
func (g *streamGate) maxMsgSize(ctx context.Context) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refreshLocked(ctx)
	if g.err != nil {
		return 0, g.err
	}
	if g.cfg.sealed {
		return 0, fmt.Errorf("%w: stream %s is sealed", ErrUnavailable, g.name)
	}
	return int(max(g.cfg.maxMsgSize, 0)), nil
}

// reserve checks that n messages of size bytes in all fit and books them.
// Its error wraps ErrUnavailable.
func (g *streamGate) reserve(ctx context.Context, n int, size uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refreshLocked(ctx)
	if g.err != nil {
		return g.err
	}
	if g.cfg.sealed {
		return fmt.Errorf("%w: stream %s is sealed", ErrUnavailable, g.name)
	}
	// With DiscardOld the stream makes room by dropping its oldest messages,
	// so only DiscardNew streams can be full.
	if g.cfg.discardNew {
		if g.cfg.maxMsgs > 0 && g.msgs+uint64(n) > uint64(g.cfg.maxMsgs) {
			return fmt.Errorf("%w: stream %s is full (%d of %d messages, %d more needed)",
				ErrUnavailable, g.name, g.msgs, g.cfg.maxMsgs, n)
		}
		if g.cfg.maxBytes > 0 && g.bytes+size > uint64(g.cfg.maxBytes) {
			return fmt.Errorf("%w: stream %s is full (%d of %d bytes, %d more needed)",
				ErrUnavailable, g.name, g.bytes, g.cfg.maxBytes, size)
		}
	}
	g.msgs += uint64(n)
	g.bytes += size
	return nil
}

// invalidate forces a fetch on the next check (after a failed publish).
func (g *streamGate) invalidate() {
	g.mu.Lock()
	g.fetched = time.Time{}
	g.mu.Unlock()
}
