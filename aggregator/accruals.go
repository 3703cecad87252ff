package aggregator

import (
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// ContestResult is an event's accrual result in one contest.
type ContestResult struct {
	Contest string
	Result  string
}

// Accruals holds one result per contest the engine decided an event for (the
// last one when the event falls in several windows of a contest), in the
// registry's order. It lives in storage the engine reuses on every Apply:
// no allocation per event.
type Accruals []ContestResult

// Result is the result recorded for contestID ("" and false when none).
func (a Accruals) Result(contestID string) (string, bool) {
	for _, r := range a {
		if r.Contest == contestID {
			return r.Result, true
		}
	}
	return "", false
}

// accrualBuf returns the empty reused storage of Decision.Accruals, with
// room for one result per contest.
func (e *Engine) accrualBuf() Accruals {
	if n := len(e.rules.All()); cap(e.accBuf) < n {
		e.accBuf = make(Accruals, 0, n)
	}
	return e.accBuf[:0]
}

// accrual records contestID's result for the event, replacing an earlier one.
func (d *Decision) accrual(contestID, result string) {
	if d.quiet {
		return
	}
	for i := range d.Accruals {
		if d.Accruals[i].Contest == contestID {
			d.Accruals[i].Result = result
			return
		}
	}
	d.Accruals = append(d.Accruals, ContestResult{Contest: contestID, Result: result})
}

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
