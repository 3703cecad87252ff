// Package dbtest is kept for callers not yet moved to internal/testkit,
// which holds the code: use testkit.Postgres and its helpers.
package dbtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rankstream/rankstream/internal/testkit"
)

// DefaultURL is testkit.PostgresDefaultURL.
const DefaultURL = testkit.PostgresDefaultURL

// AdminURL is testkit.PostgresAdminURL.
func AdminURL() string { return testkit.PostgresAdminURL() }

// New is testkit.Postgres.
func New(t testing.TB) string { return testkit.Postgres(t) }

// WithDatabase is testkit.WithDatabase.
func WithDatabase(t testing.TB, dsn, name string) string { return testkit.WithDatabase(t, dsn, name) }

// Connect opens a superuser connection to dsn.
func Connect(ctx context.Context, dsn string) (*pgx.Conn, error) { return pgx.Connect(ctx, dsn) }

// Drop is testkit.DropDatabase.
func Drop(t testing.TB, dsn string) { testkit.DropDatabase(t, dsn) }
