package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresDefaultURL is the test server's maintenance database as a superuser.
const PostgresDefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresAdminURL is the superuser URL of the test server's maintenance
// database: RANKSTREAM_TEST_POSTGRES_URL, or PostgresDefaultURL.
func PostgresAdminURL() string {
	if u := os.Getenv("RANKSTREAM_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return PostgresDefaultURL
}

// Postgres creates an empty database rankstream_test_<random> and returns its
// superuser URL; the database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "rankstream_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, PostgresAdminURL())
	if err != nil {
		t.Fatalf("testkit: postgres at %s: %v (scripts/services.sh starts it)", PostgresAdminURL(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testkit: create database %s: %v", name, err)
	}
	dsn := WithDatabase(t, PostgresAdminURL(), name)
	t.Cleanup(func() { DropDatabase(t, dsn) })
	return dsn
}

// WithDatabase returns dsn naming database name instead.
func WithDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// DropDatabase drops the database named in dsn, if it exists, closing the
// connections to it. A failure is logged, not fatal (it runs in cleanups).
func DropDatabase(t testing.TB, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Logf("testkit: %v", err)
		return
	}
	name := cfg.Database
	cfg.Database = "postgres"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Logf("testkit: drop %s: %v", name, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Logf("testkit: drop %s: %v", name, err)
	}
}
