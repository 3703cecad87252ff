package etl

import (
	"reflect"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// EventColumns and AccrualColumns are the loaded columns (for the plain
// insert baseline of the benchmark).
func EventColumns() []string   { return eventCols }
func AccrualColumns() []string { return accrualCols }

// RowsForBench builds the events and accruals rows of msgs as the loader
// does, as plain rows, for a baseline that inserts the same rows.
func RowsForBench(rules *contest.Registry, msgs []aggregator.StoredEvent) (evRows, acRows [][]any) {
	eng := aggregator.NewEngine(rules, 0)
	eng.RecordAccruals(true)
	ev, ac := &eventColumns{}, &accrualColumns{}
	for i := range msgs {
		d := eng.Apply(msgs[i])
		e := d.Event
		if e == nil {
			e = &event.Event{}
		}
		ev.add(&msgs[i], &d, e)
		ac.add(&msgs[i], &d, e)
	}
	return transpose(ev), transpose(ac)
}

func transpose(c columnar) [][]any {
	cols := c.columns()
	rows := make([][]any, c.len())
	for i := range rows {
		rows[i] = make([]any, len(cols))
		for j, col := range cols {
			rows[i][j] = reflect.ValueOf(col).Index(i).Interface()
		}
	}
	return rows
}
