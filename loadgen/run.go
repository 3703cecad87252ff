package loadgen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// door is one ingest door. send may block to apply backpressure and returns an
// error only when sending cannot go on (or ctx is done); per-event failures are
// counted. tick lets the door flush what it buffers. close flushes (unless ctx
// is done), then waits for every outstanding confirmation, bounded by the
// door's own timeouts.
type door interface {
	send(ctx context.Context, it item) error
	tick(ctx context.Context, now time.Time) error
	close(ctx context.Context)
}

// counters are the live Stats, shared by the send loop and the doors' goroutines.
type counters struct {
	sent, acked, duplicates, rejected, errors atomic.Int64
	lastAck                                   atomic.Int64 // unix nanoseconds
}

func (c *counters) ackedAt(t time.Time) { c.lastAck.Store(t.UnixNano()) }

func (c *counters) stats() Stats {
	s := Stats{
		Sent:       c.sent.Load(),
		Acked:      c.acked.Load(),
		Duplicates: c.duplicates.Load(),
		Rejected:   c.rejected.Load(),
		Errors:     c.errors.Load(),
	}
	if ns := c.lastAck.Load(); ns != 0 {
		s.LastAck = time.Unix(0, ns)
	}
	return s
}

// errLogger logs the first few send errors and then only counts them, so a
// dead server does not flood the log at 100k events/s.
type errLogger struct {
	log    *slog.Logger
	logged atomic.Int64
}

const maxLoggedErrors = 10

func (l *errLogger) error(msg string, args ...any) {
	switch n := l.logged.Add(1); {
	case n < maxLoggedErrors:
		l.log.Warn(msg, args...)
	case n == maxLoggedErrors:
		l.log.Warn(msg+" (further errors are only counted)", args...)
	}
}

// Run generates events per opts and sends them through the configured door
// until Count events were generated, Duration passed or ctx is done, then
// waits for the outstanding acknowledgements and returns what happened.
//
// Cancelling ctx is a normal way to stop (the only one when Duration and Count
// are zero): Run then stops generating, lets in-flight sends finish and
// returns the stats with a nil error. Failed sends are counted in
// Stats.Errors, not returned. The error is non-nil for invalid options
// (wrapping ErrInvalidOptions) and when the door cannot send at all, e.g. a
// closed NATS connection.
func Run(ctx context.Context, opts Options, logger *slog.Logger) (Stats, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	if err := o.validateDoor(); err != nil {
		return Stats{}, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "loadgen")

	c := &counters{}
	var d door
	if o.JS != nil {
		d = newNATSDoor(o, c, logger)
		logger.Info("loadgen starting", "door", "nats", "rate", o.Rate, "duration", o.Duration, "count", o.Count)
	} else {
		hd, err := newHTTPDoor(ctx, o, c, logger)
		if err != nil {
			return Stats{}, err
		}
		d = hd
		logger.Info("loadgen starting", "door", "http", "url", hd.url, "rate", o.Rate, "duration", o.Duration, "count", o.Count)
	}

	bar := newBar(o)
	start := time.Now()
	runErr := sendLoop(ctx, o, newGenerator(o), d, bar, start)
	d.close(ctx)

	st := c.stats()
	st.Elapsed = time.Since(start)
	if bar != nil {
		_ = bar.Finish() // progress output is best effort
		_, _ = io.WriteString(o.Progress, "\n")
	}
	logger.Info("loadgen done", "sent", st.Sent, "acked", st.Acked, "duplicates", st.Duplicates,
		"rejected", st.Rejected, "errors", st.Errors, "elapsed", st.Elapsed,
		"rate", float64(st.Sent)/max(st.Elapsed.Seconds(), 1e-9))
	if runErr != nil {
		return st, fmt.Errorf("loadgen: %w", runErr)
	}
	return st, nil
}

// sendLoop paces the generator into the door. It returns a door error that
// stopped it; ctx ending is a normal stop.
func sendLoop(ctx context.Context, o Options, gen *Generator, d door, bar *progressbar.ProgressBar, start time.Time) error {
	var deadline time.Time
	if o.Duration > 0 {
		deadline = start.Add(o.Duration)
	}
	var pc *pacer
	if o.Rate > 0 {
		pc = newPacer(o.Rate, start)
		defer pc.stop()
	}
	var generated int64
	for ctx.Err() == nil {
		if o.Count > 0 && generated >= int64(o.Count) {
			return nil
		}
		now := time.Now()
		if err := d.tick(ctx, now); err != nil {
			return stopErr(ctx, err)
		}
		final := !deadline.IsZero() && !now.Before(deadline)
		n := int64(maxBurst)
		switch {
		case pc != nil && final:
			// Top up to exactly rate·duration when that is a rounding
			// remainder; a sender that fell further behind does not
			// overrun the duration to catch up.
			n = min(pc.due(deadline), maxBurst)
		case pc != nil:
			n = min(pc.due(now), maxBurst)
			if n <= 0 {
				if !pc.wait(ctx, now, deadline) {
					return nil
				}
				continue
			}
		case final:
			return nil
		}
		if o.Count > 0 {
			n = min(n, int64(o.Count)-generated)
		}
		for range n {
			if err := d.send(ctx, gen.next()); err != nil {
				return stopErr(ctx, err)
			}
			generated++
			if pc != nil {
				pc.take(1)
			}
		}
		if bar != nil && n > 0 {
			_ = bar.Add64(n) // progress output is best effort
		}
		if final {
			return nil
		}
	}
	return nil
}

// stopErr drops an error that only reports the end of ctx.
func stopErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// newBar returns the progress bar, or nil without Progress.
func newBar(o Options) *progressbar.ProgressBar {
	if o.Progress == nil {
		return nil
	}
	total := int64(-1)
	switch {
	case o.Count > 0:
		total = int64(o.Count)
	case o.Rate > 0 && o.Duration > 0:
		total = int64(o.Rate * o.Duration.Seconds())
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(o.Progress),
		progressbar.OptionSetDescription("loadgen"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("ev"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}
