package etl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

var standingCols = []string{"snapshot_id", "kind", "taken_at", "taken_at_ms", "contest", "version", "window_start",
	"window_end", "division", "pos", "user_id", "score", "max_mult", "rounds", "events_seq"}

var rewardCols = []string{"history_id", "reward_id", "context", "id", "window_start", "division", "user_id", "pos",
	"amount_minor", "currency", "kind", "status", "at", "at_ms"}

// pgBatch is the most Postgres rows per ClickHouse block.
const pgBatch = 50000

// loadStandings copies snapshot rows in (snapshot_id, pos) order from the
// last pair in standings. Snapshots are write-once and committed with all
// their rows, so a visible snapshot is complete.
func (e *ETL) loadStandings(ctx context.Context) error {
	return e.poll(ctx, func(ctx context.Context) error {
		sid, err := e.mark(ctx, "SELECT max(snapshot_id) FROM standings")
		if err != nil {
			return e.chError("standings", err)
		}
		var pos uint32
		if err := e.conn.QueryRow(ctx, "SELECT max(pos) FROM standings WHERE snapshot_id = ?", sid).Scan(&pos); err != nil {
			return e.chError("standings", err)
		}
		for {
			b := &block{table: "standings", cols: standingCols}
			rows, err := e.opts.DB.Query(ctx, `SELECT s.id, s.kind, s.taken_at, s.contest_id, s.rule_version, s.window_start,
				s.window_end, s.division, r.pos, r.user_id, r.score, r.max_mult, r.rounds, s.events_seq
				FROM snapshots s JOIN snapshot_rows r ON r.snapshot_id = s.id
				WHERE (s.id, r.pos) > ($1, $2) ORDER BY s.id, r.pos LIMIT $3`, int64(sid), int32(pos), pgBatch)
			if err != nil {
				return fmt.Errorf("standings: postgres: %w", err)
			}
			var lastID int64
			var lastPos int32
			for rows.Next() {
				var kind, cid, div, user string
				var taken, ws, we time.Time
				var ver, p int32
				var score, rounds, evSeq int64
				var mm float64
				if err := rows.Scan(&lastID, &kind, &taken, &cid, &ver, &ws, &we, &div, &p, &user, &score, &mm, &rounds, &evSeq); err != nil {
					rows.Close()
					return fmt.Errorf("standings: postgres: %w", err)
				}
				lastPos = p
				tk, tkMS := chTime(taken)
				w0, _ := chTime(ws)
				w1, _ := chTime(we)
				b.add(uint64(lastID), kind, tk, tkMS, cid, uint32(ver), w0, w1, div, uint32(p), user, score, mm, rounds, uint64(evSeq))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("standings: postgres: %w", err)
			}
			if len(b.rows) == 0 {
				return nil
			}
			wantID, wantPos := uint64(lastID), uint32(lastPos)
			if err := e.insert(ctx, b, func(ctx context.Context) (bool, error) {
				var n uint64
				err := e.conn.QueryRow(ctx, "SELECT count() FROM standings WHERE snapshot_id = ? AND pos = ?", wantID, wantPos).Scan(&n)
				return n > 0, err
			}); err != nil {
				return err
			}
			sid, pos = wantID, wantPos
			if len(b.rows) < pgBatch {
				return nil
			}
		}
	})
}

// loadRewards copies reward_history rows by id from max(history_id). Until
// the table exists (the rewards stage creates it) it waits, logging once.
func (e *ETL) loadRewards(ctx context.Context) error {
	return e.poll(ctx, func(ctx context.Context) error {
		mark, err := e.mark(ctx, "SELECT max(history_id) FROM rewards")
		if err != nil {
			return e.chError("rewards", err)
		}
		for {
			b := &block{table: "rewards", cols: rewardCols}
			rows, err := e.opts.DB.Query(ctx, `SELECT id, reward_id, context, ctx_id, window_start, division, user_id, pos,
				amount_minor, currency, kind, status, at FROM reward_history WHERE id > $1 ORDER BY id LIMIT $2`, int64(mark), pgBatch)
			if err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
					e.m.RewardsWaited.Set(1)
					e.warnOnce("reward_history does not exist yet; rewards load waits for it")
					return nil
				}
				return fmt.Errorf("rewards: postgres: %w", err)
			}
			e.m.RewardsWaited.Set(0)
			var last int64
			for rows.Next() {
				var rid, cx, cid, div, user, cur, kind, status string
				var ws, at time.Time
				var pos *int32
				var amount int64
				if err := rows.Scan(&last, &rid, &cx, &cid, &ws, &div, &user, &pos, &amount, &cur, &kind, &status, &at); err != nil {
					rows.Close()
					return fmt.Errorf("rewards: postgres: %w", err)
				}
				w0, _ := chTime(ws)
				a, aMS := chTime(at)
				b.add(uint64(last), rid, cx, cid, w0, div, user, pos, amount, cur, kind, status, a, aMS)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("rewards: postgres: %w", err)
			}
			if len(b.rows) == 0 {
				return nil
			}
			if err := e.insert(ctx, b, e.landed("SELECT max(history_id) FROM rewards", uint64(last))); err != nil {
				return err
			}
			mark = uint64(last)
			if len(b.rows) < pgBatch {
				return nil
			}
		}
	})
}

// chError marks ClickHouse down and returns err for a retry.
func (e *ETL) chError(table string, err error) error {
	e.m.ClickHouseUp.Set(0)
	e.m.Retries.WithLabelValues(table).Inc()
	return fmt.Errorf("%s: clickhouse: %w", table, err)
}

// poll runs round every PollInterval; a failed round is logged and retried
// at the next (Postgres or ClickHouse down never stops the stage).
func (e *ETL) poll(ctx context.Context, round func(context.Context) error) error {
	t := time.NewTicker(e.opts.PollInterval)
	defer t.Stop()
	for {
		if err := round(ctx); err != nil && ctx.Err() == nil {
			e.warnOnce("postgres source round failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
