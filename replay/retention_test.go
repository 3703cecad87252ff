package replay

import (
	"errors"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

func TestCheckCovers(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	win := contest.Window{Start: start, End: start.Add(time.Hour)}
	for _, tc := range []struct {
		name      string
		truncated bool
		first     time.Time
		gone      bool
	}{
		{"whole stream", false, start.Add(time.Hour), false},
		{"deleted long before the window", true, start.Add(-time.Hour), false},
		{"first kept just before start - skew", true, start.Add(-30*time.Second - time.Nanosecond), false},
		{"first kept at start - skew: a deleted one may be in the window", true, start.Add(-30 * time.Second), true},
		{"first kept inside the window", true, start.Add(10 * time.Minute), true},
	} {
		r := &Result{Truncated: tc.truncated, FirstSeq: 77, FirstTime: tc.first}
		err := r.CheckCovers(win, 30*time.Second)
		if gone := errors.Is(err, ErrEventsGone); gone != tc.gone {
			t.Errorf("%s: err %v, want gone=%v", tc.name, err, tc.gone)
		}
	}
}
