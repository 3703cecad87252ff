package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// ResultOutsideWindow is the accrual result of an in-scope event whose ts is
// in no window of the contest (CONTRACT.md §9; the metric's reason is
// contest.ReasonOutsideWindow).
const ResultOutsideWindow = contest.ReasonOutsideWindow

// Accrual is the engine's decision for one event in one contest window, as
// the analytics store records it: Result is one of counted, ineligible,
// outside_window, duplicate, late, rate_limited, frozen; Points are the
// points granted at the event's arrival (0 unless counted).
type Accrual struct {
	Contest     string
	Version     int
	WindowStart time.Time // zero for outside_window
	Division    string
	Result      string
	Points      int64
}

// RecordAccruals makes Apply fill Decision.Details. The live scorer leaves
// it off (no cost on its path); the ETL turns it on.
func (e *Engine) RecordAccruals(on bool) { e.detail = on }

func (d *Decision) detail(c *contest.Contest, ev *event.Event, start time.Time, result string, points int64) {
	d.Details = append(d.Details, Accrual{Contest: c.ID, Version: c.Version, WindowStart: start,
		Division: c.Division(ev), Result: result, Points: points})
}

// duplicateDetails records a repeated event id: one duplicate row per
// contest window in scope (outside_window when ts is in none).
func (e *Engine) duplicateDetails(d *Decision, ev *event.Event) {
	for _, c := range e.rules.All() {
		if !c.InScope(ev) {
			continue
		}
		wins := c.WindowsAt(ev.TS)
		if len(wins) == 0 {
			d.detail(c, ev, time.Time{}, contest.ReasonDuplicate, 0)
			continue
		}
		for _, win := range wins {
			d.detail(c, ev, win.Start, contest.ReasonDuplicate, 0)
		}
	}
}
