package etl

import (
	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/event"
)

// EventColumns and AccrualColumns are the loaded columns (for the plain
// insert baseline of the benchmark).
func EventColumns() []string   { return eventCols }
func AccrualColumns() []string { return accrualCols }

// RowsForBench builds the events and accruals rows of msgs as the loader
// does, for a baseline that inserts the same rows.
func RowsForBench(rules *aggregator.Rules, msgs []aggregator.StoredEvent) (evRows, acRows [][]any) {
	eng := aggregator.NewEngine(rules, 0)
	eng.RecordAccruals(true)
	ac := &block{}
	for i := range msgs {
		d := eng.Apply(msgs[i])
		ev, _ := event.Parse(msgs[i].Data)
		evRows = append(evRows, eventRow(&msgs[i], &d, &ev))
		addAccrualRows(ac, &msgs[i], &d, &ev)
	}
	return evRows, ac.rows
}
