package etl

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

var dbNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to the ClickHouse database named in url
// (clickhouse://host:9000/db, native protocol), creating the database when
// it does not exist yet.
func Open(ctx context.Context, url string) (driver.Conn, error) {
	opts, err := clickhouse.ParseDSN(url)
	if err != nil {
		return nil, fmt.Errorf("etl: clickhouse url: %w", err)
	}
	db := opts.Auth.Database
	if db == "" {
		db = "default"
	}
	if !dbNameRe.MatchString(db) {
		return nil, fmt.Errorf("etl: clickhouse url: database name %q is not an identifier", db)
	}
	opts.Protocol = clickhouse.Native
	if opts.DialTimeout == 0 || opts.DialTimeout > 5*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	admin := *opts
	admin.Auth.Database = "default"
	ac, err := clickhouse.Open(&admin)
	if err != nil {
		return nil, fmt.Errorf("etl: clickhouse: %w", err)
	}
	err = ac.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db)
	_ = ac.Close()
	if err != nil {
		return nil, fmt.Errorf("etl: clickhouse: create database %s: %w", db, err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("etl: clickhouse: %w", err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("etl: clickhouse: %w", err)
	}
	return conn, nil
}

// backoff doubles a wait from min to max.
type backoff struct{ cur, min, max time.Duration }

func newBackoff() *backoff {
	return &backoff{cur: 100 * time.Millisecond, min: 100 * time.Millisecond, max: 5 * time.Second}
}

// wait sleeps the current delay (false when ctx ends first) and doubles it.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.cur)
	defer t.Stop()
	b.cur *= 2
	if b.cur > b.max {
		b.cur = b.max
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (b *backoff) reset() { b.cur = b.min }
