package etl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// block is the rows of one INSERT into one table: ClickHouse writes one
// block atomically (one part), so it is in the table entirely or not at all.
// Rows come either as rows (small tables) or, for events and accruals, as
// typed columns (no boxing per value; appended column by column).
type block struct {
	table string
	cols  []string
	rows  [][]any
	data  columnar // when set, instead of rows
}

// columnar is a block's data as one typed slice per column, in cols order.
type columnar interface {
	columns() []any
	len() int
}

func (b *block) add(row ...any) { b.rows = append(b.rows, row) }

func (b *block) len() int {
	if b.data != nil {
		return b.data.len()
	}
	return len(b.rows)
}

func (b *block) query() string {
	return "INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ")"
}

// send inserts the block once.
func send(ctx context.Context, conn driver.Conn, b *block) error {
	bt, err := conn.PrepareBatch(ctx, b.query())
	if err != nil {
		return fmt.Errorf("etl: insert %s: %w", b.table, err)
	}
	if b.data != nil {
		for i, col := range b.data.columns() {
			if err := bt.Column(i).Append(col); err != nil {
				_ = bt.Abort()
				return fmt.Errorf("etl: insert %s: column %s: %w", b.table, b.cols[i], err)
			}
		}
	}
	for _, r := range b.rows {
		if err := bt.Append(r...); err != nil {
			_ = bt.Abort()
			return fmt.Errorf("etl: insert %s: %w", b.table, err)
		}
	}
	if err := bt.Send(); err != nil {
		return fmt.Errorf("etl: insert %s: %w", b.table, err)
	}
	return nil
}

// insert sends b until it lands. After a failure the insert may still have
// landed (the answer was lost), so before each retry landed — which reads
// the table's position back — decides whether it is already there.
func (e *ETL) insert(ctx context.Context, b *block, landed func(context.Context) (bool, error)) error {
	if b.len() == 0 {
		return nil
	}
	bo := newBackoff()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			ok, err := landed(ctx)
			if err == nil && ok {
				e.log.Info("batch had landed before the error", "table", b.table, "rows", b.len())
				break
			}
			if err == nil {
				err = e.trySend(ctx, b)
			}
			if err == nil {
				break
			}
			e.failed(b, err)
		} else if err := e.trySend(ctx, b); err != nil {
			e.failed(b, err)
		} else {
			break
		}
		e.m.Retries.WithLabelValues(b.table).Inc()
		if !bo.wait(ctx) {
			return ctx.Err()
		}
	}
	e.m.ClickHouseUp.Set(1)
	e.m.RowsLoaded.WithLabelValues(b.table).Add(float64(b.len()))
	e.m.BatchRows.WithLabelValues(b.table).Observe(float64(b.len()))
	return nil
}

func (e *ETL) trySend(ctx context.Context, b *block) error {
	ictx, cancel := context.WithTimeout(ctx, e.opts.InsertTimeout)
	defer cancel()
	t0 := time.Now()
	err := send(ictx, e.conn, b)
	if err == nil {
		e.m.BatchSeconds.WithLabelValues(b.table).Observe(time.Since(t0).Seconds())
	}
	return err
}

func (e *ETL) failed(b *block, err error) {
	e.m.ClickHouseUp.Set(0)
	e.m.RowsFailed.WithLabelValues(b.table).Add(float64(b.len()))
	e.warnOnce("clickhouse insert failed; retrying with backoff", "table", b.table, "rows", b.len(), "err", err)
}
