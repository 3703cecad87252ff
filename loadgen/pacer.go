package loadgen

import (
	"context"
	"time"
)

const (
	// maxBurst is the most events sent between two looks at the clock.
	maxBurst = 256
	// minSleep keeps the pacer from sleeping for a handful of microseconds at
	// high rates: it sleeps a little longer and sends a larger burst instead.
	minSleep = 500 * time.Microsecond
	// maxSleep bounds one sleep so the doors get regular chances to flush.
	maxSleep = 100 * time.Millisecond
)

// pacer is a token bucket over the wall clock: by time t since origin,
// rate·t events may have been sent. Falling behind by more than one second of
// events (the bucket's capacity) drops the excess instead of bursting it out.
type pacer struct {
	rate     float64
	origin   time.Time
	sent     int64 // events sent since origin
	capacity int64
	timer    *time.Timer
}

func newPacer(rate float64, start time.Time) *pacer {
	return &pacer{rate: rate, origin: start, capacity: max(int64(rate), maxBurst)}
}

// due is how many events may be sent at now.
func (p *pacer) due(now time.Time) int64 {
	// The epsilon keeps float rounding (2114.9999…) from losing an event.
	d := int64(p.rate*now.Sub(p.origin).Seconds()+1e-6) - p.sent
	if d > p.capacity {
		// Behind by more than the bucket holds: move the origin forward so
		// that exactly a full bucket is due now.
		p.origin = now.Add(-time.Duration(float64(p.sent+p.capacity) / p.rate * float64(time.Second)))
		d = p.capacity
	}
	return d
}

// take records n events as sent.
func (p *pacer) take(n int64) { p.sent += n }

// wait sleeps until at least one event is due, but no later than limit (zero:
// no limit) and no longer than maxSleep. It returns false when ctx is done.
func (p *pacer) wait(ctx context.Context, now, limit time.Time) bool {
	next := p.origin.Add(time.Duration(float64(p.sent+1) / p.rate * float64(time.Second)))
	d := max(next.Sub(now), minSleep)
	if !limit.IsZero() {
		d = min(d, limit.Sub(now))
	}
	d = min(d, maxSleep)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return false
	case <-p.timer.C:
		return true
	}
}

func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}
