package etl_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
)

// rewardHistoryDDL re-creates the rewards stage's table (migration
// 00010_rewards.sql) after a test dropped it; the ETL reads it by id.
const rewardHistoryDDL = `CREATE TABLE reward_history (
    id bigserial primary key, reward_id text not null, context text not null, ctx_id text not null,
    window_start timestamptz not null, division text not null default '', user_id text not null, pos integer,
    amount_minor bigint not null, currency text not null, kind text not null, status text not null,
    at timestamptz not null);
GRANT SELECT ON reward_history TO rankstream_app`

// pgSource is a fresh migrated Postgres database: its superuser connection
// (to write the sources) and the application pool the ETL reads with.
func pgSource(ctx context.Context, t testing.TB) (*pgx.Conn, *pgxpool.Pool, string) {
	t.Helper()
	url := testkit.Postgres(t)
	pool, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	su, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { su.Close(context.Background()) })
	return su, pool, url
}

// writeSnapshots adds k snapshots of the board (contest, window, division)
// with rows rows each, as the snapshotter would (header and rows in one
// transaction); it returns the rows written.
func writeSnapshots(ctx context.Context, t testing.TB, su *pgx.Conn, contestID, kind string, k, rows int) int {
	t.Helper()
	for i := 0; i < k; i++ {
		_, err := su.Exec(ctx, `WITH s AS (
			INSERT INTO snapshots (id, contest_id, window_start, window_end, division, board_seq, kind, rule_version,
				events_seq, scores_seq, entries, standings_hash, prev_hash, hash, taken_at)
			SELECT nextval('snapshot_ids'), $1, '2026-11-30T00:00:00Z', '2026-12-01T00:00:00Z', '',
				coalesce((SELECT max(board_seq) FROM snapshots WHERE contest_id = $1), 0) + 1, $2, 1, 100, 100, $3,
				decode(repeat('ab', 32), 'hex'), NULL, decode(repeat('cd', 32), 'hex'), now()
			RETURNING id)
			INSERT INTO snapshot_rows (snapshot_id, pos, user_id, score, max_mult, rounds, finish)
			SELECT s.id, g, 'u_' || g, 1000 - g, 1.5, g, -1 FROM s, generate_series(1, $3) g`, contestID, kind, rows)
		if err != nil {
			t.Fatalf("write snapshot: %v", err)
		}
	}
	return k * rows
}

// writeRewards adds n reward_history rows (a pending and a granted status
// row per reward) and returns how many it wrote.
func writeRewards(ctx context.Context, t testing.TB, su *pgx.Conn, contestID string, n int) int {
	t.Helper()
	_, err := su.Exec(ctx, `INSERT INTO reward_history (reward_id, context, ctx_id, window_start, division, user_id, pos,
		amount_minor, currency, kind, status, at)
		SELECT 'rw_' || md5($1 || g), 'contest', $1, '2026-11-30T00:00:00Z', '', 'u_' || g, g,
			(1000 / g)::bigint, 'EUR', 'cash', CASE WHEN s = 0 THEN 'pending' ELSE 'granted' END, now()
		FROM generate_series(1, $2::int / 2) g, generate_series(0, 1) s ORDER BY g, s`, contestID, n)
	if err != nil {
		t.Fatalf("write rewards: %v", err)
	}
	return n / 2 * 2
}
