package contest

import (
	"math"
	"math/rand"
	"slices"
	"testing"
	"time"
)

func TestParseAbuseFlags(t *testing.T) {
	src := `id: f
title: F
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
anti_abuse:
  max_events_per_user_per_sec: 2
  flags: {uniform_timing_ms: 40, min_events: 30, shared_device_users: 3, hold: true}
`
	c, err := Parse("f.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := AbuseFlags{UniformTimingMS: 40, MinEvents: 30, SharedDeviceUsers: 3, Hold: true}
	if c.AntiAbuse.Flags != want || c.AntiAbuse.MaxEventsPerUserPerSec != 2 {
		t.Fatalf("anti_abuse = %+v", c.AntiAbuse)
	}
	c, err = Parse("g.yml", []byte(`id: g
title: G
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
anti_abuse: {flags: {uniform_timing_ms: 10}}
`))
	if err != nil || c.AntiAbuse.Flags.MinEvents != DefaultFlagMinEvents || c.AntiAbuse.Flags.SharedDevice() || c.AntiAbuse.Flags.Hold {
		t.Fatalf("defaults: %+v %v", c.AntiAbuse.Flags, err)
	}
	// The bad cases are in testdata/abuse_flags.bad.yml (TestBadFiles).
}

// TestTimingStat: the statistic keeps the last n event times whatever the
// arrival order, raises once when their gaps are regular enough, and
// restores from its binary form exactly.
func TestTimingStat(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	base := time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC).UnixNano()
	var all []int64
	for i := 0; i < 40; i++ {
		all = append(all, base+int64(i)*int64(time.Second)+r.Int63n(int64(200*time.Millisecond)))
	}
	shuffled := slices.Clone(all)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	ts := NewTimingStat(10)
	for _, x := range shuffled {
		if ts.Add(x, 1) { // a 1 ms threshold: 200 ms of jitter never passes
			t.Fatal("raised with irregular gaps")
		}
	}
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	// Events arriving out of order can only replace the oldest ones kept
	// when they are newer; the kept times are among the 40 and ascending.
	if got := ts.Times(); len(got) != 10 || !slices.IsSorted(got) {
		t.Fatalf("kept %v", got)
	}
	back, rest, err := UnmarshalTimingStat(ts.AppendBinary([]byte{}))
	if err != nil || len(rest) != 0 || !slices.Equal(back.Times(), ts.Times()) || back.Raised() {
		t.Fatalf("round trip: %v %v", back, err)
	}

	// Regular gaps: raised at the n-th event, once, evidence frozen.
	reg := NewTimingStat(5)
	raised := 0
	for i := 0; i < 12; i++ {
		if reg.Add(base+int64(i)*int64(time.Second)+int64(i%2)*int64(3*time.Millisecond), 40) {
			raised++
			if i != 4 {
				t.Fatalf("raised at event %d, want 4", i)
			}
		}
	}
	if raised != 1 || !reg.Raised() || reg.Times()[0] != base || math.Abs(reg.StdDevMS()-3) > 1e-9 {
		t.Fatalf("raised %d times, kept %v, stddev %v", raised, reg.Times(), reg.StdDevMS())
	}
	back, _, err = UnmarshalTimingStat(reg.AppendBinary(nil))
	if err != nil || !back.Raised() || back.Add(base+int64(100*time.Second), 40) {
		t.Fatalf("restored raised statistic: %v %v", back, err)
	}
	if _, _, err := UnmarshalTimingStat([]byte{5, 0, 9}); err == nil {
		t.Fatal("a statistic with more times than n was accepted")
	}
}
