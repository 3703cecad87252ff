package contest

import "time"

// DefaultMaxEventDelay is max_event_delay when a contest does not set it.
const DefaultMaxEventDelay = time.Hour

// EventDelay is the contest's max_event_delay (the default when unset).
func (c *Contest) EventDelay() time.Duration {
	if c.MaxEventDelay <= 0 {
		return DefaultMaxEventDelay
	}
	return c.MaxEventDelay
}

// DelayLate reports whether an event with event time ts that arrived at
// arrived is late by max_event_delay: it arrived more than EventDelay after ts.
func (c *Contest) DelayLate(ts, arrived time.Time) bool {
	return arrived.After(ts.Add(c.EventDelay()))
}
