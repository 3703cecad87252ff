package etl

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one versioned DDL file, migrations/NNNN_name.sql.
type migration struct {
	version uint32
	name    string
	stmts   []string
}

func loadMigrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("etl: migrations: %w", err)
	}
	sort.Strings(files)
	var out []migration
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.ParseUint(strings.SplitN(base, "_", 2)[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("etl: migration %s: version: %w", base, err)
		}
		body, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("etl: migration %s: %w", base, err)
		}
		out = append(out, migration{version: uint32(v), name: base, stmts: splitSQL(string(body))})
	}
	return out, nil
}

// splitSQL cuts a file into statements at ';' ending a line, dropping
// "--" comment lines (the native protocol takes one statement per query).
func splitSQL(body string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") || t == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, applied DateTime
) ENGINE = MergeTree ORDER BY version`

// migrate applies the migrations not yet recorded in schema_migrations, then
// checks that every table has the layout the migrations describe. Tables are
// created IF NOT EXISTS and never dropped: one that exists with another
// layout is reported (ErrLayout) and left alone.
func migrate(ctx context.Context, conn driver.Conn) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if err := conn.Exec(ctx, migrationsTable); err != nil {
		return fmt.Errorf("etl: schema_migrations: %w", err)
	}
	done := map[uint32]bool{}
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("etl: schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("etl: schema_migrations: %w", err)
		}
		done[v] = true
	}
	rows.Close()
	// Existing tables first: a mismatch is reported before any DDL runs on
	// top of it (a view over a foreign table would fail less clearly).
	if err := checkLayout(ctx, conn, ms, true); err != nil {
		return err
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		for _, s := range m.stmts {
			if err := conn.Exec(ctx, s); err != nil {
				return fmt.Errorf("etl: migration %s: %w", m.name, err)
			}
		}
		// A batch, not INSERT … VALUES: 18.16 never answers the latter over
		// the native protocol.
		rec := &block{table: "schema_migrations", cols: []string{"version", "name", "applied"}}
		rec.add(m.version, m.name, time.Now())
		if err := send(ctx, conn, rec); err != nil {
			return fmt.Errorf("etl: migration %s: record: %w", m.name, err)
		}
	}
	return checkLayout(ctx, conn, ms, false)
}

var (
	createRe = regexp.MustCompile(`(?is)^CREATE\s+(TABLE|VIEW)\s+IF\s+NOT\s+EXISTS\s+(\w+)`)
	columnRe = regexp.MustCompile(`^\s*(\w+)\s+([A-Za-z0-9_]+(?:\([A-Za-z0-9_, ]*\))?),?\s*$`)
	aliasRe  = regexp.MustCompile(`(?i)\bAS\s+(\w+),?\s*$`)
	identRe  = regexp.MustCompile(`^\s*(\w+),?\s*$`)
)

// viewColumns reads the output names of a view's SELECT list: one per line,
// "expr AS name" or a bare column.
func viewColumns(stmt string) []column {
	var cols []column
	in := false
	for _, line := range strings.Split(stmt, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.EqualFold(t, "SELECT"):
			in = true
		case strings.HasPrefix(strings.ToUpper(t), "FROM "):
			return cols
		case in:
			if a := aliasRe.FindStringSubmatch(t); a != nil {
				cols = append(cols, column{name: a[1]})
			} else if a := identRe.FindStringSubmatch(t); a != nil {
				cols = append(cols, column{name: a[1]})
			}
		}
	}
	return cols
}

// column is a name and, for tables, a type ("" for a view's columns).
type column struct{ name, typ string }

// expectedLayout reads each created table's columns (name type per line)
// and each view's output names (… AS name per line) from the migrations.
func expectedLayout(ms []migration) map[string][]column {
	out := map[string][]column{}
	for _, m := range ms {
		for _, s := range m.stmts {
			mm := createRe.FindStringSubmatch(s)
			if mm == nil {
				continue
			}
			if strings.EqualFold(mm[1], "view") {
				out[mm[2]] = viewColumns(s)
				continue
			}
			var cols []column
			for _, line := range strings.Split(s, "\n")[1:] {
				if c := columnRe.FindStringSubmatch(line); c != nil {
					cols = append(cols, column{name: c[1], typ: c[2]})
				}
			}
			out[mm[2]] = cols
		}
	}
	return out
}

// Migrate opens the database of url and applies the migrations (what Run
// does first); for operators and benchmarks that want the tables up front.
func Migrate(ctx context.Context, url string) error {
	conn, err := Open(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close()
	return migrate(ctx, conn)
}
