package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
)

func TestMigrateConcurrentAndIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := testkit.Postgres(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Migrate(ctx, url, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx, url, nil); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestMigrateCreatesDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := testkit.Postgres(t)
	// A database name that does not exist yet, dropped by the cleanup below.
	missing := testkit.WithDatabase(t, url, "rankstream_test_created_"+time.Now().Format("150405000000"))
	t.Cleanup(func() { testkit.DropDatabase(t, missing) })
	pool, err := db.Open(ctx, missing, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
}

// TestAppRoleIsWriteOnce: the pool's role can read and append contest
// versions but neither change nor remove them; triggers refuse it even to
// the owner.
func TestAppRoleIsWriteOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := testkit.Postgres(t)
	pool, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var role string
	if err := pool.QueryRow(ctx, "SELECT current_user").Scan(&role); err != nil || role != db.AppRole {
		t.Fatalf("pool works as %q (%v), want %s", role, err, db.AppRole)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO contest_versions (contest_id, version, source, body, sha256)
		VALUES ('c', 1, 'api', 'x', '\x00')`); err != nil {
		t.Fatalf("insert as app: %v", err)
	}
	for _, q := range []string{
		"UPDATE contest_versions SET body = 'y'",
		"DELETE FROM contest_versions",
		"TRUNCATE contest_versions",
		"UPDATE snapshots SET entries = 0",
		"DELETE FROM snapshot_rows",
		"TRUNCATE snapshot_rows",
		"DROP TABLE snapshots",
	} {
		_, err := pool.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "42501" && pgErr.Code != "42P01") {
			t.Errorf("%s as %s: got %v, want permission denied", q, db.AppRole, err)
		}
	}
	// The owner (superuser) is refused by the triggers.
	owner, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	for _, q := range []string{"UPDATE contest_versions SET body = 'y'", "DELETE FROM contest_versions", "TRUNCATE contest_versions"} {
		if _, err := owner.Exec(ctx, q); err == nil {
			t.Errorf("%s as owner: no error", q)
		}
	}
}
