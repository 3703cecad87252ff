package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsDoor publishes asynchronously with at most MaxInFlight publishes waiting
// for their ack. One collector goroutine resolves the ack futures in publish
// order (JetStream acks a connection's publishes in order, so waiting on the
// oldest first costs nothing).
type natsDoor struct {
	js         jetstream.JetStream
	ackTimeout time.Duration
	sem        chan struct{}    // one token per unacknowledged publish
	pending    chan natsPending // capacity MaxInFlight: never blocks while a token is held
	done       chan struct{}    // closed when the collector has drained pending
	c          *counters
	errs       errLogger
}

type natsPending struct {
	fut    jetstream.PubAckFuture
	msgID  string
	sentAt time.Time
}

func newNATSDoor(o Options, c *counters, logger *slog.Logger) *natsDoor {
	d := &natsDoor{
		js:         o.JS,
		ackTimeout: o.AckTimeout,
		sem:        make(chan struct{}, o.MaxInFlight),
		pending:    make(chan natsPending, o.MaxInFlight),
		done:       make(chan struct{}),
		c:          c,
		errs:       errLogger{log: logger},
	}
	go d.collect()
	return d
}

func (d *natsDoor) send(ctx context.Context, it item) error {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for in-flight slot: %w", ctx.Err())
	}
	for {
		fut, err := d.js.PublishAsync(it.subject, it.body, jetstream.WithMsgID(it.msgID))
		if err == nil {
			d.c.sent.Add(1)
			d.pending <- natsPending{fut: fut, msgID: it.msgID, sentAt: time.Now()}
			return nil
		}
		// The JetStream context's own PublishAsyncMaxPending is lower than
		// MaxInFlight and it stalled for its stall wait: try again.
		if errors.Is(err, jetstream.ErrTooManyStalledMsgs) && ctx.Err() == nil {
			continue
		}
		<-d.sem
		if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubject) {
			return fmt.Errorf("publish to %s: %w", it.subject, err)
		}
		d.c.sent.Add(1)
		d.c.errors.Add(1)
		d.errs.error("publish failed", "subject", it.subject, "event_id", it.msgID, "err", err)
		return nil
	}
}

func (d *natsDoor) tick(context.Context, time.Time) error { return nil }

// close waits for every outstanding ack (each bounded by the ack timeout), also
// when ctx is done, so the stats are complete.
func (d *natsDoor) close(context.Context) {
	close(d.pending)
	<-d.done
}

func (d *natsDoor) collect() {
	defer close(d.done)
	timer := time.NewTimer(d.ackTimeout)
	defer timer.Stop()
	for p := range d.pending {
		timer.Reset(max(time.Until(p.sentAt.Add(d.ackTimeout)), 0))
		select {
		case ack := <-p.fut.Ok():
			d.c.acked.Add(1)
			if ack.Duplicate {
				d.c.duplicates.Add(1)
			}
			d.c.ackedAt(time.Now())
		case err := <-p.fut.Err():
			d.c.errors.Add(1)
			d.errs.error("publish not acknowledged", "event_id", p.msgID, "err", err)
		case <-timer.C:
			d.c.errors.Add(1)
			d.errs.error("publish ack timed out", "event_id", p.msgID, "timeout", d.ackTimeout)
		}
		timer.Stop()
		<-d.sem
	}
}
