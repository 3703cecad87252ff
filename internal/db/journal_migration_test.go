package db_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
)

// TestJournalMigrationMovesGrants: migration 00050 turns the grants and
// ledger postings written before it into one journal row per grant, and
// keeps the unsent outbox rows (their bodies are built by the relay now).
func TestJournalMigrationMovesGrants(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := testkit.Postgres(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	defer sqldb.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 40); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO rewards (reward_id, context, ctx_id, window_start, user_id, pos, amount_minor, currency, kind,
			auto_grant, claim_window_ms, computed_at, status) VALUES
			('rw_a', 'contest', 'c', '2025-10-25T18:00:00Z', 'u_1', 1, 700, 'EUR', 'cash', true, 1000, now(), 'granted'),
			('rw_b', 'contest', 'c', '2025-10-25T18:00:00Z', 'u_2', 2, 300, 'EUR', 'cash', false, 1000, now(), 'granted'),
			('rw_c', 'contest', 'c', '2025-10-25T18:00:00Z', 'u_3', 3, 100, 'EUR', 'cash', false, 1000, now(), 'pending')`,
		`INSERT INTO grants VALUES ('rw_a', 'auto', now()), ('rw_b', 'claim', now())`,
		`INSERT INTO ledger_postings (reward_id, account, amount_minor, currency, at) VALUES
			('rw_a', 'pool:c:2025-10-25T18:00:00Z:', 700, 'EUR', now()), ('rw_a', 'player:u_1', -700, 'EUR', now()),
			('rw_b', 'pool:c:2025-10-25T18:00:00Z:', 300, 'EUR', now()), ('rw_b', 'player:u_2', -300, 'EUR', now())`,
		`INSERT INTO outbox (reward_id, subject, jetstream, body, created_at, sent_at) VALUES
			('rw_a', 'wallet.postings.u_1', true, '{}', now(), now()), ('rw_b', 'wallet.postings.u_2', true, '{}', now(), NULL),
			('rw_c', 'lb.c.user.u_3.notice', false, '{}', now(), NULL)`,
	} {
		if _, err := sqldb.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Migrate(ctx, url, nil); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := sqldb.QueryRowContext(ctx, `SELECT string_agg(concat_ws(' ', reward_id, debit, credit, amount_minor, currency, via),
		'; ' ORDER BY reward_id) FROM ledger_journal`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := "rw_a pool:c:2025-10-25T18:00:00Z: player:u_1 700 EUR auto; rw_b pool:c:2025-10-25T18:00:00Z: player:u_2 300 EUR claim"
	if got != want {
		t.Fatalf("journal %q, want %q", got, want)
	}
	var grants, legs, sum, unsent int
	if err := sqldb.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM grants), (SELECT count(*) FROM ledger_postings),
		(SELECT sum(amount_minor) FROM ledger_postings), (SELECT count(*) FROM outbox WHERE sent_at IS NULL)`).Scan(&grants, &legs, &sum, &unsent); err != nil {
		t.Fatal(err)
	}
	if grants != 2 || legs != 4 || sum != 0 || unsent != 2 {
		t.Fatalf("after migration: %d grants, %d legs summing to %d, %d unsent outbox rows", grants, legs, sum, unsent)
	}
}
