package rewards

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PutHold puts a user on hold: their pending rewards turn held, the claim
// clock paused with what was left of it.
func (s *Store) PutHold(ctx context.Context, user, reason string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO holds (user_id, reason, since) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason`, user, reason, now); err != nil {
			return fmt.Errorf("rewards: put hold: %w", err)
		}
		rows, err := tx.Query(ctx, `UPDATE rewards SET status = 'held', expires_at = NULL,
			held_left_ms = GREATEST(0, floor(extract(epoch FROM expires_at - $2::timestamptz) * 1000))::bigint
			WHERE user_id = $1 AND status = 'pending' RETURNING `+rewardColumns, user, now)
		if err != nil {
			return fmt.Errorf("rewards: hold rewards: %w", err)
		}
		rs, err := collectRewards(rows)
		if err != nil {
			return err
		}
		return s.history(ctx, tx, rs, now)
	})
}

// DeleteHold lifts a user's hold: their held rewards turn pending again
// with the rest of their claim window, and those with auto_grant are
// granted at once. It returns false when the user was not on hold.
func (s *Store) DeleteHold(ctx context.Context, user string) (bool, error) {
	existed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		tag, err := tx.Exec(ctx, `DELETE FROM holds WHERE user_id = $1`, user)
		if err != nil {
			return fmt.Errorf("rewards: delete hold: %w", err)
		}
		existed = tag.RowsAffected() > 0
		rows, err := tx.Query(ctx, `UPDATE rewards SET status = 'pending',
			expires_at = $2::timestamptz + held_left_ms * interval '1 millisecond', held_left_ms = NULL
			WHERE user_id = $1 AND status = 'held' RETURNING `+rewardColumns, user, now)
		if err != nil {
			return fmt.Errorf("rewards: release rewards: %w", err)
		}
		rs, err := collectRewards(rows)
		if err != nil {
			return err
		}
		var auto, claimable []Reward
		for _, r := range rs {
			if r.AutoGrant {
				auto = append(auto, r)
			} else {
				claimable = append(claimable, r)
			}
		}
		if err := s.history(ctx, tx, claimable, now); err != nil {
			return err
		}
		if err := s.notices(ctx, tx, claimable, now); err != nil {
			return err
		}
		return s.grantTx(ctx, tx, auto, ViaAuto, now)
	})
	return existed, err
}
