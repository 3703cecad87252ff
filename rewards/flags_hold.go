package rewards

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// flagHeld is true for a reward r that an uncleared abuse flag with hold
// holds: a contest reward of the flagged user in the flagged window
// (docs/flags.md).
const flagHeld = `EXISTS (SELECT 1 FROM abuse_flags f WHERE f.user_id = r.user_id AND r.context = 'contest'
	AND f.contest_id = r.ctx_id AND f.window_start = r.window_start AND f.hold AND f.cleared_at IS NULL)`

// flagHeldIDs returns which of the rewards ids an abuse flag holds.
func flagHeldIDs(ctx context.Context, tx pgx.Tx, ids []string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT r.reward_id FROM rewards r WHERE r.reward_id = ANY($1) AND `+flagHeld, ids)
	if err != nil {
		return nil, fmt.Errorf("rewards: flag holds: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("rewards: flag holds: %w", err)
	}
	out := make(map[string]bool, len(got))
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// HoldFlagged turns held the pending rewards an uncleared abuse flag holds
// (those stored while the flag committed at the same time); the stage runs
// it every round. Driven by the flags, so cheap however many rewards are
// pending.
func (s *Store) HoldFlagged(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.holdRewards(ctx, tx, `(r.user_id, r.ctx_id, r.window_start) IN (SELECT f.user_id, f.contest_id, f.window_start
			FROM abuse_flags f WHERE f.hold AND f.cleared_at IS NULL) AND r.context = 'contest'`, s.now())
	})
}

// holdFlagUser holds the pending rewards of user in one contest window
// (a flag with hold was just raised).
func (s *Store) holdFlagUser(ctx context.Context, tx pgx.Tx, contestID string, window time.Time, user string, now time.Time) error {
	return s.holdRewards(ctx, tx, `r.user_id = $2 AND r.context = 'contest' AND r.ctx_id = $3 AND r.window_start = $4`,
		now, user, contestID, window)
}

func rewardIDs(rs []Reward) []string {
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].RewardID
	}
	return ids
}

// flagHeldUsers adds to held the users an uncleared abuse flag with hold
// holds in the board of rs (one contest window), read under the window's
// flag lock, so a flag raised meanwhile waits and then holds the rewards
// it finds.
func flagHeldUsers(ctx context.Context, tx pgx.Tx, rs []Reward, held map[string]bool) error {
	if len(rs) == 0 || rs[0].Context != ContextContest {
		return nil
	}
	if err := lockFlagBoardShared(ctx, tx, rs[0].ID, rs[0].Window); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT user_id FROM abuse_flags WHERE contest_id = $1 AND window_start = $2
		AND hold AND cleared_at IS NULL`, rs[0].ID, rs[0].Window)
	if err != nil {
		return fmt.Errorf("rewards: flagged users: %w", err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("rewards: flagged users: %w", err)
	}
	for _, u := range users {
		held[u] = true
	}
	return nil
}

// lockFlagBoard takes the transaction-scoped advisory lock of a contest
// window's flags: a flag's insert and a board's payouts of that window
// take it, so each sees the other whole (the app role may not LOCK the
// flags table: it has no table-wide UPDATE).
func lockFlagBoard(ctx context.Context, tx pgx.Tx, contestID string, window time.Time) error {
	return flagBoardLock(ctx, tx, "pg_advisory_xact_lock", contestID, window)
}

// lockFlagBoardShared takes the same lock shared: the parts of a board's
// payouts (board_parts.go) run side by side, a flag's insert waits for them.
func lockFlagBoardShared(ctx context.Context, tx pgx.Tx, contestID string, window time.Time) error {
	return flagBoardLock(ctx, tx, "pg_advisory_xact_lock_shared", contestID, window)
}

func flagBoardLock(ctx context.Context, tx pgx.Tx, fn, contestID string, window time.Time) error {
	if _, err := tx.Exec(ctx, `SELECT `+fn+`(hashtextextended($1, 1))`,
		"flags|"+contestID+"|"+WindowString(window)); err != nil {
		return fmt.Errorf("rewards: flag lock: %w", err)
	}
	return nil
}
