package contest

import (
	"testing"
	"time"
)

func tUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func parseSrc(t *testing.T, src string) *Contest {
	t.Helper()
	c, err := Parse(t.Name()+".yml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func scheduledContest(t *testing.T, cron, dur, tz, lateness string) *Contest {
	t.Helper()
	return parseSrc(t, "id: s\ntitle: S\nschedule: {cron: '"+cron+"', duration: "+dur+", tz: "+tz+"}\nlateness: "+lateness+"\nscoring: {model: wager}\n")
}

func fixedContest(t *testing.T) *Contest {
	t.Helper()
	return parseSrc(t, "id: f\ntitle: F\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nlateness: 90s\nscoring: {model: wager}\n")
}

func windowStrings(ws []Window) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Start.Format(time.RFC3339) + "/" + w.End.Format(time.RFC3339)
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFixedWindow(t *testing.T) {
	c := fixedContest(t)
	w := Window{tUTC("2025-10-25T18:00:00Z"), tUTC("2025-10-25T19:00:00Z")}
	tests := []struct {
		ts   string
		in   bool
		stat string
	}{
		{"2025-10-25T17:59:59.999999999Z", false, StatusScheduled},
		{"2025-10-25T18:00:00Z", true, StatusLive},
		{"2025-10-25T18:59:59.999999999Z", true, StatusLive},
		{"2025-10-25T19:00:00Z", false, StatusClosing},
		{"2025-10-25T19:01:29.999999999Z", false, StatusClosing},
		{"2025-10-25T19:01:30Z", false, StatusFinal},
		{"2026-01-01T00:00:00Z", false, StatusFinal},
	}
	for _, tt := range tests {
		ts := tUTC(tt.ts)
		ws := c.WindowsAt(ts)
		if got := len(ws) == 1; got != tt.in || (got && ws[0] != w) {
			t.Errorf("WindowsAt(%s) = %v, want in=%v", tt.ts, ws, tt.in)
		}
		cw, ok := c.CurrentWindow(ts)
		if !ok || cw != w {
			t.Errorf("CurrentWindow(%s) = %v %v", tt.ts, cw, ok)
		}
		if got := c.StatusAt(w, ts); got != tt.stat {
			t.Errorf("StatusAt(%s) = %s, want %s", tt.ts, got, tt.stat)
		}
	}
	if got, ok := c.WindowAt(w.Start); !ok || got != w {
		t.Errorf("WindowAt(start) = %v %v", got, ok)
	}
	if _, ok := c.WindowAt(w.Start.Add(time.Second)); ok {
		t.Errorf("WindowAt(start+1s) found")
	}
	if w.Key() != w.Start.Unix() {
		t.Errorf("Key")
	}
	between := []struct {
		from, to string
		n        int
	}{
		{"2025-10-25T17:00:00Z", "2025-10-25T18:00:00Z", 0}, // [from,to) ends at start
		{"2025-10-25T17:00:00Z", "2025-10-25T18:00:01Z", 1},
		{"2025-10-25T18:59:59Z", "2025-10-25T20:00:00Z", 1},
		{"2025-10-25T19:00:00Z", "2025-10-25T20:00:00Z", 0}, // starts at end
		{"2025-10-25T18:30:00Z", "2025-10-25T18:30:00Z", 0}, // empty range
	}
	for _, b := range between {
		if got := c.WindowsBetween(tUTC(b.from), tUTC(b.to)); len(got) != b.n {
			t.Errorf("WindowsBetween(%s, %s) = %v, want %d", b.from, b.to, got, b.n)
		}
	}
}

func TestStatusZeroLateness(t *testing.T) {
	c := parseSrc(t, "id: z\ntitle: Z\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n")
	w := Window{tUTC("2025-10-25T18:00:00Z"), tUTC("2025-10-25T19:00:00Z")}
	if got := c.StatusAt(w, w.End.Add(-time.Nanosecond)); got != StatusLive {
		t.Errorf("end-1ns: %s", got)
	}
	if got := c.StatusAt(w, w.End); got != StatusFinal {
		t.Errorf("end: %s, want final", got)
	}
}

// Europe/Kyiv leaves summer time on 2025-10-26 at 04:00 EEST (01:00Z) and
// enters it on 2025-03-30 at 03:00 EET (01:00Z). Windows start at local
// midnight and last exactly 24h.
func TestDailyKyivAcrossDST(t *testing.T) {
	c := scheduledContest(t, "0 0 * * *", "24h", "Europe/Kyiv", "90s")
	if c.Location.String() != "Europe/Kyiv" {
		t.Fatalf("Location %v", c.Location)
	}
	tests := []struct {
		ts   string
		want []string
	}{
		{"2025-10-25T20:59:59Z", []string{"2025-10-24T21:00:00Z/2025-10-25T21:00:00Z"}},
		{"2025-10-25T21:00:00Z", []string{"2025-10-25T21:00:00Z/2025-10-26T21:00:00Z"}},
		{"2025-10-26T01:30:00Z", []string{"2025-10-25T21:00:00Z/2025-10-26T21:00:00Z"}},
		// The 25-hour day: the last local hour (23:00-24:00 EET) is in no window.
		{"2025-10-26T21:00:00Z", nil},
		{"2025-10-26T21:59:59Z", nil},
		{"2025-10-26T22:00:00Z", []string{"2025-10-26T22:00:00Z/2025-10-27T22:00:00Z"}},
		// The 23-hour day: its window overlaps the next day's first hour.
		{"2025-03-30T20:59:59Z", []string{"2025-03-29T22:00:00Z/2025-03-30T22:00:00Z"}},
		{"2025-03-30T21:00:00Z", []string{"2025-03-29T22:00:00Z/2025-03-30T22:00:00Z", "2025-03-30T21:00:00Z/2025-03-31T21:00:00Z"}},
		{"2025-03-30T22:00:00Z", []string{"2025-03-30T21:00:00Z/2025-03-31T21:00:00Z"}},
	}
	for _, tt := range tests {
		if got := windowStrings(c.WindowsAt(tUTC(tt.ts))); !sameStrings(got, tt.want) {
			t.Errorf("WindowsAt(%s) = %v, want %v", tt.ts, got, tt.want)
		}
	}

	got := windowStrings(c.WindowsBetween(tUTC("2025-10-25T00:00:00Z"), tUTC("2025-10-28T00:00:00Z")))
	want := []string{
		"2025-10-24T21:00:00Z/2025-10-25T21:00:00Z",
		"2025-10-25T21:00:00Z/2025-10-26T21:00:00Z",
		"2025-10-26T22:00:00Z/2025-10-27T22:00:00Z",
		"2025-10-27T22:00:00Z/2025-10-28T22:00:00Z",
	}
	if !sameStrings(got, want) {
		t.Errorf("WindowsBetween = %v, want %v", got, want)
	}

	// In the gap, the current window is the one that just ended (closing, then final).
	gap := tUTC("2025-10-26T21:00:30Z")
	w, ok := c.CurrentWindow(gap)
	if !ok || w.Start != tUTC("2025-10-25T21:00:00Z") {
		t.Fatalf("CurrentWindow(gap) = %v %v", w, ok)
	}
	if s := c.StatusAt(w, gap); s != StatusClosing {
		t.Errorf("StatusAt(gap) = %s", s)
	}
	if s := c.StatusAt(w, tUTC("2025-10-26T21:01:30Z")); s != StatusFinal {
		t.Errorf("StatusAt(end+90s) = %s", s)
	}
	// With overlapping windows the latest start is current.
	if w, ok := c.CurrentWindow(tUTC("2025-03-30T21:30:00Z")); !ok || w.Start != tUTC("2025-03-30T21:00:00Z") {
		t.Errorf("CurrentWindow(overlap) = %v %v", w, ok)
	}

	if w, ok := c.WindowAt(tUTC("2025-10-26T22:00:00Z")); !ok || w.End != tUTC("2025-10-27T22:00:00Z") {
		t.Errorf("WindowAt(Oct 27 midnight) = %v %v", w, ok)
	}
	for _, s := range []string{"2025-10-26T21:00:00Z", "2025-10-26T22:00:00.5Z", "2025-10-26T22:00:01Z"} {
		if _, ok := c.WindowAt(tUTC(s)); ok {
			t.Errorf("WindowAt(%s) found", s)
		}
	}

	checkKyivDays(t, c)
}

// checkKyivDays: Day is the local date of Kyiv for c (a Kyiv schedule) and
// the UTC date for a fixed contest.
func checkKyivDays(t *testing.T, c *Contest) {
	t.Helper()
	days := []struct {
		ts   string
		date string
	}{
		{"2025-10-25T20:59:59Z", "2025-10-25"},
		{"2025-10-25T21:00:00Z", "2025-10-26"},
		{"2025-10-26T21:59:59Z", "2025-10-26"},
		{"2025-10-26T22:00:00Z", "2025-10-27"},
	}
	for _, d := range days {
		want := tUTC(d.date+"T00:00:00Z").Unix() / 86400
		if got := c.Day(tUTC(d.ts)); got != want {
			t.Errorf("Day(%s) = %d, want %d (%s)", d.ts, got, want, d.date)
		}
	}
	f := fixedContest(t)
	if got := f.Day(tUTC("2025-10-25T23:59:59Z")); got != tUTC("2025-10-25T00:00:00Z").Unix()/86400 {
		t.Errorf("UTC Day = %d", got)
	}
	if got := f.Day(tUTC("1970-01-01T00:00:00Z")); got != 0 {
		t.Errorf("Day(epoch) = %d", got)
	}
	if got := f.Day(tUTC("1969-12-31T23:59:59Z")); got != -1 {
		t.Errorf("Day(epoch-1s) = %d", got)
	}
}

func TestHourlyAcrossDST(t *testing.T) {
	c := scheduledContest(t, "0 * * * *", "1h", "Europe/Kyiv", "0s")
	got := windowStrings(c.WindowsBetween(tUTC("2025-10-25T23:30:00Z"), tUTC("2025-10-26T02:30:00Z")))
	want := []string{
		"2025-10-25T23:00:00Z/2025-10-26T00:00:00Z",
		"2025-10-26T00:00:00Z/2025-10-26T01:00:00Z", // 03:00 EEST
		"2025-10-26T01:00:00Z/2025-10-26T02:00:00Z", // 03:00 EET, the repeated hour
		"2025-10-26T02:00:00Z/2025-10-26T03:00:00Z",
	}
	if !sameStrings(got, want) {
		t.Errorf("fall back: %v, want %v", got, want)
	}
	got = windowStrings(c.WindowsBetween(tUTC("2025-03-30T00:00:00Z"), tUTC("2025-03-30T02:00:00Z")))
	want = []string{
		"2025-03-30T00:00:00Z/2025-03-30T01:00:00Z",
		"2025-03-30T01:00:00Z/2025-03-30T02:00:00Z",
	}
	if !sameStrings(got, want) {
		t.Errorf("spring forward: %v, want %v", got, want)
	}
	for _, s := range []string{"2025-10-26T00:00:00Z", "2025-10-26T00:59:59Z", "2025-10-26T01:00:00Z"} {
		ws := c.WindowsAt(tUTC(s))
		if len(ws) != 1 || !ws[0].Contains(tUTC(s)) {
			t.Errorf("WindowsAt(%s) = %v", s, ws)
		}
	}
	if w, ok := c.CurrentWindow(tUTC("2025-10-26T01:00:00Z")); !ok || w.Start != tUTC("2025-10-26T01:00:00Z") {
		t.Errorf("CurrentWindow at a boundary = %v", w)
	}
}

func TestOverlappingWindows(t *testing.T) {
	// Every hour, 150 minutes long: up to three windows at once.
	c := scheduledContest(t, "0 * * * *", "150m", "UTC", "0s")
	got := windowStrings(c.WindowsAt(tUTC("2025-10-25T12:10:00Z")))
	want := []string{
		"2025-10-25T10:00:00Z/2025-10-25T12:30:00Z",
		"2025-10-25T11:00:00Z/2025-10-25T13:30:00Z",
		"2025-10-25T12:00:00Z/2025-10-25T14:30:00Z",
	}
	if !sameStrings(got, want) {
		t.Errorf("WindowsAt = %v, want %v", got, want)
	}
	got = windowStrings(c.WindowsAt(tUTC("2025-10-25T12:30:00Z"))) // 10:00 window just ended
	if len(got) != 2 || got[0] != want[1] {
		t.Errorf("WindowsAt(12:30) = %v", got)
	}
	if w, ok := c.CurrentWindow(tUTC("2025-10-25T12:10:00Z")); !ok || w.Start != tUTC("2025-10-25T12:00:00Z") {
		t.Errorf("CurrentWindow = %v", w)
	}
	if n := len(c.WindowsBetween(tUTC("2025-10-25T12:00:00Z"), tUTC("2025-10-25T13:00:00Z"))); n != 3 {
		t.Errorf("WindowsBetween = %d windows, want 3", n)
	}
}

func TestWindowsBetweenBounded(t *testing.T) {
	c := scheduledContest(t, "* * * * *", "1m", "UTC", "0s")
	ws := c.WindowsBetween(tUTC("2025-01-01T00:00:00Z"), tUTC("2026-01-01T00:00:00Z"))
	if len(ws) != MaxWindows {
		t.Fatalf("got %d windows, want %d", len(ws), MaxWindows)
	}
	for i := 1; i < len(ws); i++ {
		if ws[i].Start.Sub(ws[i-1].Start) != time.Minute {
			t.Fatalf("not consecutive at %d", i)
		}
	}
}

func TestCurrentWindowSparseSchedule(t *testing.T) {
	// Fires only on 29 February: the last window is years back.
	c := scheduledContest(t, "0 0 29 2 *", "24h", "UTC", "0s")
	w, ok := c.CurrentWindow(tUTC("2027-06-01T00:00:00Z"))
	if !ok || w.Start != tUTC("2024-02-29T00:00:00Z") {
		t.Errorf("CurrentWindow = %v %v, want 2024-02-29", w, ok)
	}
	if s := c.StatusAt(w, tUTC("2027-06-01T00:00:00Z")); s != StatusFinal {
		t.Errorf("status %s", s)
	}
	w, ok = c.CurrentWindow(tUTC("2024-02-29T12:00:00Z"))
	if !ok || w.Start != tUTC("2024-02-29T00:00:00Z") {
		t.Errorf("CurrentWindow inside = %v %v", w, ok)
	}
	// Exactly at a window end it has ended.
	w, ok = c.CurrentWindow(tUTC("2024-03-01T00:00:00Z"))
	if !ok || w.Start != tUTC("2024-02-29T00:00:00Z") || c.StatusAt(w, tUTC("2024-03-01T00:00:00Z")) != StatusFinal {
		t.Errorf("CurrentWindow at end = %v %v", w, ok)
	}
}

func TestCurrentWindowPrevFireExact(t *testing.T) {
	// Every 7 minutes past the hour pattern: 0,7,...,56. Check the previous
	// fire for many instants against a brute-force scan.
	c := scheduledContest(t, "*/7 9-17 * * 1-5", "1m", "Europe/Kyiv", "0s")
	sp, d, ok := c.recurring()
	if !ok || d != time.Minute {
		t.Fatal("no schedule")
	}
	base := tUTC("2025-10-24T06:00:00Z") // Friday 09:00 EEST
	var fires []time.Time                // every fire from a week before base on
	for f := sp.Next(base.Add(-7 * 24 * time.Hour)); f.Before(base.Add(7 * 24 * time.Hour)); f = sp.Next(f) {
		fires = append(fires, f)
	}
	for i := 0; i < 400; i++ {
		now := base.Add(time.Duration(i) * 13 * time.Minute).Add(time.Duration(i%7) * time.Second)
		var brute time.Time
		for _, f := range fires {
			if f.After(now) {
				break
			}
			brute = f
		}
		got, ok := prevFire(sp, now)
		if !ok || !got.Equal(brute) {
			t.Fatalf("prevFire(%v) = %v, want %v", now, got, brute)
		}
	}
}

func TestHandBuiltSchedule(t *testing.T) {
	// A Contest not made by Parse still works (the cron is parsed on use).
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	c := &Contest{ID: "h", Schedule: &Schedule{Cron: "0 0 * * *", Duration: 24 * time.Hour, TZ: kyiv}, Location: kyiv}
	ws := c.WindowsAt(tUTC("2025-10-26T12:00:00Z"))
	if len(ws) != 1 || ws[0].Start != tUTC("2025-10-25T21:00:00Z") {
		t.Errorf("WindowsAt = %v", ws)
	}
	bad := &Contest{Schedule: &Schedule{Cron: "nope", Duration: time.Hour}}
	if ws := bad.WindowsAt(time.Now()); ws != nil {
		t.Errorf("bad cron gave %v", ws)
	}
	if _, ok := bad.CurrentWindow(time.Now()); ok {
		t.Errorf("bad cron has a current window")
	}
	none := &Contest{}
	if ws := none.WindowsBetween(time.Now(), time.Now().Add(time.Hour)); ws != nil {
		t.Errorf("no window: %v", ws)
	}
}
