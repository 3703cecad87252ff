// Package etltest gives each test its own ClickHouse database on the server
// the tests use (RANKSTREAM_TEST_CLICKHOUSE_URL, default the local one on
// 9000, which scripts/services.sh --clickhouse starts), dropped at the end.
package etltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DefaultURL is the test server's default database.
const DefaultURL = "clickhouse://127.0.0.1:9000/default"

// ServerURL is the URL of the ClickHouse server tests use.
func ServerURL() string {
	if u := os.Getenv("RANKSTREAM_TEST_CLICKHOUSE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New creates an empty database etltest_<random> on the test server and
// returns its URL; it is dropped when the test ends.
func New(t testing.TB) string { return NewOn(t, ServerURL()) }

// NewOn is New on the server of base.
func NewOn(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "etltest_" + hex.EncodeToString(b)
	c := Connect(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("etltest: create database: %v (make services starts clickhouse)", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Logf("etltest: drop %s: %v", name, err)
		}
	})
	return WithDatabase(t, base, name)
}

// WithDatabase returns u naming database name instead.
func WithDatabase(t testing.TB, u, name string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("etltest: %v", err)
	}
	p.Path = "/" + name
	return p.String()
}

// Connect opens a connection to u, closed when the test ends.
func Connect(t testing.TB, u string) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(u)
	if err != nil {
		t.Fatalf("etltest: %v", err)
	}
	c, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatalf("etltest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("etltest: clickhouse at %s: %v (make services starts it)", u, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Count is SELECT count() FROM table [WHERE …] on c.
func Count(t testing.TB, c driver.Conn, query string, args ...any) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n uint64
	if err := c.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("etltest: %s: %v", query, err)
	}
	return n
}
