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
type block struct {
	table string
	cols  []string
	rows  [][]any
}

func (b *block) add(row ...any) { b.rows = append(b.rows, row) }

func (b *block) query() string {
	return "INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ")"
}

// send inserts the block once.
func send(ctx context.Context, conn driver.Conn, b *block) error {
	bt, err := conn.PrepareBatch(ctx, b.query())
	if err != nil {
		return fmt.Errorf("etl: insert %s: %w", b.table, err)
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
	if len(b.rows) == 0 {
		return nil
	}
	bo := newBackoff()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			ok, err := landed(ctx)
			if err == nil && ok {
				e.log.Info("batch had landed before the error", "table", b.table, "rows", len(b.rows))
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
	e.m.RowsLoaded.WithLabelValues(b.table).Add(float64(len(b.rows)))
	e.m.BatchRows.WithLabelValues(b.table).Observe(float64(len(b.rows)))
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
	e.m.RowsFailed.WithLabelValues(b.table).Add(float64(len(b.rows)))
	e.warnOnce("clickhouse insert failed; retrying with backoff", "table", b.table, "rows", len(b.rows), "err", err)
}
