package contest

import (
	"math/rand"
	"sync"
	"testing"
	"time"
)

// TestWindowsAtCacheMatchesCron compares the cached WindowsAt with cron's
// Next (windowsAtDirect) at random instants, whole seconds and fire times
// included, for schedules that cross DST, overlap, fire every minute, or
// last longer than the cached hour.
func TestWindowsAtCacheMatchesCron(t *testing.T) {
	cases := []struct{ cron, dur, tz string }{
		{"0 0 * * *", "24h", "Europe/Kyiv"},
		{"0 * * * *", "1h", "Europe/Kyiv"},
		{"30 2 * * *", "90m", "Europe/Berlin"}, // 02:30 does not exist on the spring-forward day
		{"*/15 * * * *", "1h", "UTC"},          // four overlapping windows
		{"* * * * *", "3m", "America/New_York"},
		{"*/7 9-17 * * 1-5", "1m", "Europe/Kyiv"},
		{"0 0 * * 1", "168h", "UTC"},
		{"* * * * *", "300m", "UTC"}, // 300 candidates an hour: not cached, computed
	}
	rng := rand.New(rand.NewSource(1))
	base := tUTC("2025-03-28T00:00:00Z") // spring DST in Europe on the 30th, US on 9 March
	for _, tc := range cases {
		c := scheduledContest(t, tc.cron, tc.dur, tc.tz, "0s")
		sp, d, ok := c.recurring()
		if !ok {
			t.Fatalf("%s: not recurring", tc.cron)
		}
		for i := 0; i < 400; i++ {
			ts := base.Add(time.Duration(rng.Int63n(int64(240 * 24 * time.Hour))))
			switch i % 3 {
			case 1:
				ts = ts.Truncate(time.Second)
			case 2:
				ts = ts.Truncate(time.Minute) // a fire time of most specs here
			}
			got, want := windowStrings(c.WindowsAt(ts)), windowStrings(windowsAtDirect(sp, d, ts))
			if !sameStrings(got, want) {
				t.Fatalf("%s %s at %s: cached %v, cron %v", tc.cron, tc.dur, ts.Format(time.RFC3339Nano), got, want)
			}
			// Just before and at the end of the first window: the boundaries.
			if ws := c.WindowsAt(ts); len(ws) > 0 {
				for _, b := range []time.Time{ws[0].End, ws[0].End.Add(-time.Nanosecond), ws[0].Start.Add(-time.Nanosecond)} {
					if g, w := windowStrings(c.WindowsAt(b)), windowStrings(windowsAtDirect(sp, d, b)); !sameStrings(g, w) {
						t.Fatalf("%s at boundary %s: cached %v, cron %v", tc.cron, b.Format(time.RFC3339Nano), g, w)
					}
				}
			}
		}
	}
}

// TestWindowsAtFixedShared: a fixed window is answered from the cache and
// follows a change of the window.
func TestWindowsAtFixedShared(t *testing.T) {
	c := fixedContest(t)
	in := tUTC("2025-10-25T18:30:00Z")
	if ws := c.WindowsAt(in); len(ws) != 1 || !ws[0].Start.Equal(c.Window.Start) || !ws[0].End.Equal(c.Window.End) {
		t.Fatalf("in window: %v", ws)
	}
	if ws := c.WindowsAt(c.Window.End); ws != nil {
		t.Fatalf("at end: %v", ws)
	}
	c.Window.End = c.Window.End.Add(time.Hour)
	if ws := c.WindowsAt(tUTC("2025-10-25T19:30:00Z")); len(ws) != 1 || !ws[0].End.Equal(c.Window.End) {
		t.Fatalf("after the window moved: %v", ws)
	}
}

// TestWindowsAtConcurrent: scorers of several partitions share a contest.
func TestWindowsAtConcurrent(t *testing.T) {
	c := scheduledContest(t, "*/10 * * * *", "25m", "Europe/Kyiv", "0s")
	sp, d, _ := c.recurring()
	base := tUTC("2025-10-26T00:00:00Z")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 500; i++ {
				ts := base.Add(time.Duration(rng.Int63n(int64(48 * time.Hour))))
				if !sameStrings(windowStrings(c.WindowsAt(ts)), windowStrings(windowsAtDirect(sp, d, ts))) {
					t.Errorf("goroutine %d: differ at %s", g, ts)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// BenchmarkWindowsAtCached is WindowsAt of a six-hourly Kyiv schedule (the
// recurring contest of the property tests) at event times a few ms apart,
// as a scorer sees them; BenchmarkWindowsAtCron the cron Next computation
// it replaced, on the same instants.
func BenchmarkWindowsAtCached(b *testing.B) {
	c := benchSchedule(b)
	ts := tUTC("2025-10-25T18:00:00Z")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if len(c.WindowsAt(ts.Add(time.Duration(i%100000)*7*time.Millisecond))) != 1 {
			b.Fatal("no window")
		}
	}
}

func BenchmarkWindowsAtCron(b *testing.B) {
	c := benchSchedule(b)
	sp, d, _ := c.recurring()
	ts := tUTC("2025-10-25T18:00:00Z")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if len(windowsAtDirect(sp, d, ts.Add(time.Duration(i%100000)*7*time.Millisecond))) != 1 {
			b.Fatal("no window")
		}
	}
}

func benchSchedule(b *testing.B) *Contest {
	c, err := Parse("bench.yml", []byte("id: s\ntitle: S\nschedule: {cron: '0 */6 * * *', duration: 6h, tz: Europe/Kyiv}\nscoring: {model: wager}\n"))
	if err != nil {
		b.Fatal(err)
	}
	return c
}
