package replay

import (
	"errors"
	"fmt"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// ErrEventsGone is returned by CheckCovers when the EVENTS stream no longer
// holds every event that could belong to a window (retention.events).
var ErrEventsGone = errors.New("replay: events of the window are gone from the EVENTS stream")

// CheckCovers reports whether the replayed stream still held every event of
// win. A deleted message arrived no later than the first one kept; an event
// of win arrives at the earliest maxFutureSkew before win's start. So while
// the first kept message was stored before that, nothing of win is lost.
func (r *Result) CheckCovers(win contest.Window, maxFutureSkew time.Duration) error {
	if maxFutureSkew <= 0 {
		maxFutureSkew = event.DefaultMaxFutureSkew
	}
	if !r.Truncated || r.FirstTime.Before(win.Start.Add(-maxFutureSkew)) {
		return nil
	}
	return fmt.Errorf("%w: the stream starts at sequence %d, stored %s, after the window start %s "+
		"(events older than retention.events are deleted); the standings would be wrong, see the snapshots in Postgres",
		ErrEventsGone, r.FirstSeq, r.FirstTime.UTC().Format(time.RFC3339), win.Start.UTC().Format(time.RFC3339))
}
