package etl

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ErrLayout is returned (wrapped) when a table exists with columns other
// than the ETL's: it is reported, never dropped or altered.
var ErrLayout = errors.New("etl: table exists with another layout")

// checkLayout compares the database's columns with the migrations'.
// Columns added later by hand are fine; a missing one or another type is not.
// With existingOnly, tables that do not exist yet are skipped.
func checkLayout(ctx context.Context, conn driver.Conn, ms []migration, existingOnly bool) error {
	want := expectedLayout(ms)
	var problems []string
	names := make([]string, 0, len(want))
	for t := range want {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		have, err := tableColumns(ctx, conn, t)
		if err != nil {
			return err
		}
		if existingOnly && len(have) == 0 {
			continue
		}
		for _, c := range want[t] {
			got, ok := have[c.name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: column %s is missing", t, c.name))
			case c.typ != "" && got != c.typ:
				problems = append(problems, fmt.Sprintf("%s: column %s is %s, want %s", t, c.name, got, c.typ))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s (rename or drop it yourself; the ETL never drops tables)", ErrLayout, strings.Join(problems, "; "))
	}
	return nil
}

func tableColumns(ctx context.Context, conn driver.Conn, table string) (map[string]string, error) {
	rows, err := conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ?", table)
	if err != nil {
		return nil, fmt.Errorf("etl: columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, fmt.Errorf("etl: columns of %s: %w", table, err)
		}
		out[n] = t
	}
	return out, rows.Err()
}
