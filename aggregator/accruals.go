package aggregator

import (
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// duplicateAccruals reports a duplicate for every contest that has a window at
// the event's ts and whose scope holds it: accruals are per (event, contest
// in scope), and a duplicate is reported with its own reason (CONTRACT.md §3).
func (e *Engine) duplicateAccruals(d *Decision, ev *event.Event) {
	for _, c := range e.rules.All() {
		if len(c.WindowsAt(ev.TS)) > 0 && c.InScope(ev) {
			d.accrual(c.ID, contest.ReasonDuplicate)
		}
	}
}
