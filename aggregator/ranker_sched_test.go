package aggregator

import (
	"testing"
	"time"
)

// A change waits MinTick after a cheap tick, three times a costly tick's
// duration after it, never more than Tick unless the tick took longer
// (then as long as it took), and not at all once that time has passed.
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
		{80 * ms, 0, 100 * ms},  // bounded by Tick
		{300 * ms, 0, 300 * ms}, // a tick longer than Tick: as long again
		{300 * ms, 100 * ms, 200 * ms},
	} {
		s.ticked(t0.Add(-c.cost), t0)
		if got := s.wait(t0.Add(c.after)); got != c.want {
			t.Errorf("cost %v, change %v after: wait %v, want %v", c.cost, c.after, got, c.want)
		}
	}
}

// The fixed Tick runs a tick only once the spacing allows; before that it
// arms the timer, which then fires when the tick is due.
func TestTickSchedDue(t *testing.T) {
	s := newTickSched(10*time.Millisecond, 100*time.Millisecond)
	defer s.stop()
	now := time.Now()
	s.ticked(now.Add(-300*time.Millisecond), now) // a 300 ms tick just ended
	if s.due(now) {
		t.Fatal("due right after a 300 ms tick")
	}
	if !s.armed {
		t.Fatal("not due, and no tick armed")
	}
	if !s.due(now.Add(300 * time.Millisecond)) {
		t.Fatal("not due 300 ms after a 300 ms tick")
	}
	select {
	case <-s.C():
	case <-time.After(5 * time.Second):
		t.Fatal("the armed tick never fired")
	}
}
