package rewards

import (
	"context"
	"fmt"
	"time"

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
		return s.holdRewards(ctx, tx, `r.user_id = $2`, now, user)
	})
}

// holdRewards turns the pending rewards r matching cond (its arguments from
// $2 on; $1 is now) held, their claim clock paused with what was left of
// it, with a history row each.
func (s *Store) holdRewards(ctx context.Context, tx pgx.Tx, cond string, now time.Time, args ...any) error {
	rows, err := tx.Query(ctx, `UPDATE rewards r SET status = 'held', expires_at = NULL,
		held_left_ms = GREATEST(0, floor(extract(epoch FROM r.expires_at - $1::timestamptz) * 1000))::bigint
		WHERE r.status = 'pending' AND `+cond+` RETURNING `+rewardColumns, append([]any{now}, args...)...)
	if err != nil {
		return fmt.Errorf("rewards: hold rewards: %w", err)
	}
	rs, err := collectRewards(rows)
	if err != nil {
		return err
	}
	return s.history(ctx, tx, rs, now)
}

// DeleteHold lifts a user's hold: their held rewards turn pending again
// with the rest of their claim window, and those with auto_grant are
// granted at once. Rewards an abuse flag still holds stay held. It returns
// false when the user was not on hold.
func (s *Store) DeleteHold(ctx context.Context, user string) (bool, error) {
	existed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		tag, err := tx.Exec(ctx, `DELETE FROM holds WHERE user_id = $1`, user)
		if err != nil {
			return fmt.Errorf("rewards: delete hold: %w", err)
		}
		existed = tag.RowsAffected() > 0
		_, err = s.releaseRewards(ctx, tx, `r.user_id = $2`, now, user)
		return err
	})
	return existed, err
}

// releaseRewards turns the held rewards r matching cond (its arguments
// from $2 on) whose user is not on hold and that no uncleared abuse flag
// holds pending again with the rest of their claim window; those with
// auto_grant are granted at once, through the one grant path (so never
// twice). It returns how many it released.
func (s *Store) releaseRewards(ctx context.Context, tx pgx.Tx, cond string, now time.Time, args ...any) (int, error) {
	rows, err := tx.Query(ctx, `UPDATE rewards r SET status = 'pending',
		expires_at = $1::timestamptz + r.held_left_ms * interval '1 millisecond', held_left_ms = NULL
		WHERE r.status = 'held' AND `+cond+`
		AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.user_id = r.user_id) AND NOT `+flagHeld+`
		RETURNING `+rewardColumns, append([]any{now}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("rewards: release rewards: %w", err)
	}
	rs, err := collectRewards(rows)
	if err != nil {
		return 0, err
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
		return 0, err
	}
	if err := s.notices(ctx, tx, claimable, now); err != nil {
		return 0, err
	}
	return len(rs), s.grantTx(ctx, tx, auto, ViaAuto, now)
}
