package aggregator

import (
	"testing"
	"time"
)

// A change waits MinTick after a cheap tick, three times a costly tick's
// duration after it, never more than Tick, and not at all once that time
// has passed.
func TestTickSchedWait(t *testing.T) {
	s := newTickSched(10*time.Millisecond, 100*time.Millisecond)
	defer s.stop()
	t0 := time.Unix(1000, 0)
	ms := time.Millisecond
	for _, c := range []struct {
		cost, after, want time.Duration
	}{
		{1 * ms, 0, 10 * ms},     // cheap tick: MinTick
		{1 * ms, 4 * ms, 6 * ms}, // part of it passed
		{1 * ms, 50 * ms, 0},     // quiet: at once
		{20 * ms, 0, 60 * ms},    // 3× the cost
		{20 * ms, 30 * ms, 30 * ms},
		{80 * ms, 0, 100 * ms}, // bounded by Tick
	} {
		s.ticked(t0.Add(-c.cost), t0)
		if got := s.wait(t0.Add(c.after)); got != c.want {
			t.Errorf("cost %v, change %v after: wait %v, want %v", c.cost, c.after, got, c.want)
		}
	}
}
