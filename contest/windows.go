package contest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MaxWindows bounds the windows any one call returns.
const MaxWindows = 10000

// maxLookBack bounds how far CurrentWindow searches the past for a recurring
// window that has ended.
const maxLookBack = 10 * 366 * 24 * time.Hour

// cronProbe is the instant a schedule is checked to fire after (robfig/cron
// looks at most 5 years ahead, enough for every satisfiable spec).
var cronProbe = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// parseCron parses a standard 5-field cron spec (or a descriptor such as
// @daily; not @every) evaluated in loc.
func parseCron(spec string, loc *time.Location) (*cron.SpecSchedule, error) {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, errors.New("time zone prefix not allowed, use schedule.tz")
	}
	if strings.HasPrefix(s, "@every") {
		return nil, errors.New("@every is not supported, use a 5-field cron spec")
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("unsupported schedule type %T", sched)
	}
	cp := *ss
	if loc == nil {
		loc = time.UTC
	}
	cp.Location = loc
	if cp.Next(cronProbe).IsZero() {
		return nil, errors.New("never fires")
	}
	return &cp, nil
}

// cronSpec is the parsed schedule: the one Parse stored, else parsed now
// (a Schedule built by hand). Nil when Cron does not parse.
func (s *Schedule) cronSpec() *cron.SpecSchedule {
	if s.spec != nil {
		return s.spec
	}
	sp, err := parseCron(s.Cron, s.TZ)
	if err != nil {
		return nil
	}
	return sp
}

// recurring returns the parsed schedule and its duration, or ok=false when
// the contest has no usable schedule.
func (c *Contest) recurring() (*cron.SpecSchedule, time.Duration, bool) {
	if c.Schedule == nil || c.Schedule.Duration <= 0 {
		return nil, 0, false
	}
	sp := c.Schedule.cronSpec()
	return sp, c.Schedule.Duration, sp != nil
}

func (c *Contest) fixed() Window {
	return Window{Start: c.Window.Start, End: c.Window.End}
}

func mkWindow(start time.Time, d time.Duration) Window {
	return Window{Start: start.UTC(), End: start.Add(d).UTC()}
}

// WindowsAt returns every window with start ≤ ts < end, ordered by start.
// Recurring windows overlap when the duration exceeds the cron period.
// The returned slice may be shared: callers must not modify it.
func (c *Contest) WindowsAt(ts time.Time) []Window {
	if c.Window != nil {
		if c.win != nil {
			return c.win.fixedAt(c.Window, ts)
		}
		if w := c.fixed(); w.Contains(ts) {
			return []Window{w}
		}
		return nil
	}
	sp, d, ok := c.recurring()
	if !ok {
		return nil
	}
	if c.win != nil {
		if ws, ok := c.win.recurringAt(sp, d, ts); ok {
			return ws
		}
	}
	return windowsAtDirect(sp, d, ts)
}

// windowsAtDirect computes WindowsAt of a recurring contest with cron's Next.
func windowsAtDirect(sp *cron.SpecSchedule, d time.Duration, ts time.Time) []Window {
	var out []Window
	// start > ts-d ⇔ end > ts; Next returns fire times strictly after its argument.
	for f := sp.Next(ts.Add(-d)); !f.IsZero() && !f.After(ts) && len(out) < MaxWindows; f = sp.Next(f) {
		out = append(out, mkWindow(f, d))
	}
	return out
}

// WindowAt returns the window that starts exactly at start.
func (c *Contest) WindowAt(start time.Time) (Window, bool) {
	if c.Window != nil {
		if c.Window.Start.Equal(start) {
			return c.fixed(), true
		}
		return Window{}, false
	}
	sp, d, ok := c.recurring()
	if !ok {
		return Window{}, false
	}
	if f := sp.Next(start.Add(-time.Second)); !f.IsZero() && f.Equal(start) {
		return mkWindow(f, d), true
	}
	return Window{}, false
}

// CurrentWindow returns the window containing now (the latest start if
// several do), else the last one that has ended, else the next one.
func (c *Contest) CurrentWindow(now time.Time) (Window, bool) {
	if ws := c.WindowsAt(now); len(ws) > 0 {
		return ws[len(ws)-1], true
	}
	if c.Window != nil {
		return c.fixed(), true
	}
	sp, d, ok := c.recurring()
	if !ok {
		return Window{}, false
	}
	// No window contains now, so the latest fire ≤ now has ended.
	if f, ok := prevFire(sp, now); ok {
		return mkWindow(f, d), true
	}
	if f := sp.Next(now); !f.IsZero() {
		return mkWindow(f, d), true
	}
	return Window{}, false
}

// prevFire returns the latest fire time ≤ t, looking back at most maxLookBack.
// It scans back in doubling spans, then bisects the span that has a fire.
func prevFire(sp *cron.SpecSchedule, t time.Time) (time.Time, bool) {
	hi := t
	span := time.Minute
	for t.Sub(hi) < maxLookBack {
		lo := hi.Add(-span)
		if f := sp.Next(lo); !f.IsZero() && !f.After(hi) {
			// Invariant: a fire lies in (lo, hi]; find the last one.
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if g := sp.Next(mid); !g.IsZero() && !g.After(hi) {
					lo = mid
				} else {
					hi = mid
				}
			}
			return sp.Next(lo), true
		}
		hi = lo
		if span < 365*24*time.Hour {
			span *= 2
		}
	}
	return time.Time{}, false
}

// WindowsBetween returns the windows overlapping [from, to) (start < to and
// end > from), ordered by start, at most MaxWindows of them.
func (c *Contest) WindowsBetween(from, to time.Time) []Window {
	if !from.Before(to) {
		return nil
	}
	if c.Window != nil {
		if w := c.fixed(); w.Start.Before(to) && w.End.After(from) {
			return []Window{w}
		}
		return nil
	}
	sp, d, ok := c.recurring()
	if !ok {
		return nil
	}
	var out []Window
	for f := sp.Next(from.Add(-d)); !f.IsZero() && f.Before(to) && len(out) < MaxWindows; f = sp.Next(f) {
		out = append(out, mkWindow(f, d))
	}
	return out
}

// StatusAt is the status of window w at now: scheduled (now < start), live
// (now < end), closing (now < end + lateness), else final. Frozen is decided
// by operators, not here.
func (c *Contest) StatusAt(w Window, now time.Time) string {
	switch {
	case now.Before(w.Start):
		return StatusScheduled
	case now.Before(w.End):
		return StatusLive
	case now.Before(w.End.Add(c.Lateness)):
		return StatusClosing
	}
	return StatusFinal
}
