package rewards

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Grant via.
const (
	ViaClaim = "claim"
	ViaAuto  = "auto"
)

// grantTx grants rewards inside tx, each: status granted, a grants row, a
// balanced posting (debit the pool, credit the player, same amount and
// currency, keyed by reward_id), the wallet message in the outbox and a
// history row. The caller holds the rows' locks and has checked that each
// is pending and its user not on hold; the journal's primary key refuses a
// second grant of a reward anyway.
func (s *Store) grantTx(ctx context.Context, tx pgx.Tx, rs []Reward, via string, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].RewardID
		rs[i].Status = StatusGranted
		rs[i].ExpiresAt = nil
	}
	if _, err := tx.Exec(ctx, `UPDATE rewards SET status = 'granted', expires_at = NULL, held_left_ms = NULL
		WHERE reward_id IN (SELECT unnest($1::text[]))`, ids); err != nil {
		return fmt.Errorf("rewards: mark granted: %w", err)
	}
	return s.grantRows(ctx, tx, rs, via, now)
}

// grantRows writes the ledger journal rows (one balanced posting per
// grant: debit the pool, credit the player, keyed by reward_id, with how it
// was granted), the outbox rows of the wallet messages and the history rows
// of rewards whose status is (now) granted.
func (s *Store) grantRows(ctx context.Context, tx pgx.Tx, rs []Reward, via string, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_journal"},
		[]string{"reward_id", "debit", "credit", "amount_minor", "currency", "via", "at"},
		pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
			r := &rs[i]
			return []any{r.RewardID, r.PoolAccount(), PlayerAccount(r.User), r.AmountMinor, r.Currency, via, now}, nil
		})); err != nil {
		return fmt.Errorf("rewards: ledger journal: %w", err)
	}
	if err := queueOutbox(ctx, tx, rs, true, now); err != nil {
		return fmt.Errorf("rewards: outbox: %w", err)
	}
	return s.history(ctx, tx, rs, now)
}

// queueOutbox queues one message per reward: its wallet posting
// (jetstream) or its reward_available notice. The relay builds subject and
// body from the reward row.
func queueOutbox(ctx context.Context, tx pgx.Tx, rs []Reward, jetstream bool, now time.Time) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"outbox"}, []string{"reward_id", "jetstream", "created_at"},
		pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) { return []any{rs[i].RewardID, jetstream, now}, nil }))
	return err
}

// lockGrantable locks the rewards among ids that can be granted now:
// pending, not expired (auto-grant rewards do not expire), the user not on
// hold, no abuse flag holding it. Rows another transaction holds are skipped when skip is set.
func lockGrantable(ctx context.Context, tx pgx.Tx, ids []string, now time.Time, skip bool) ([]Reward, error) {
	q := `SELECT ` + rewardColumns + ` FROM rewards r WHERE reward_id IN (SELECT unnest($1::text[])) AND status = 'pending'
		AND (auto_grant OR expires_at > $2) AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.user_id = r.user_id)
		AND NOT ` + flagHeld + `
		ORDER BY reward_id FOR UPDATE`
	if skip {
		q += " SKIP LOCKED"
	}
	rows, err := tx.Query(ctx, q, ids, now)
	if err != nil {
		return nil, fmt.Errorf("rewards: lock grantable: %w", err)
	}
	return collectRewards(rows)
}

// GrantDue grants up to limit pending auto-grant rewards (those computed
// while their user was on hold, or left by a crash), each at most once
// across processes. It returns how many it granted.
func (s *Store) GrantDue(ctx context.Context, limit int) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT reward_id FROM rewards WHERE status = 'pending' AND auto_grant
			ORDER BY reward_id LIMIT $1`, limit)
		if err != nil {
			return fmt.Errorf("rewards: due grants: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(ids) == 0 {
			return err
		}
		now := s.now()
		rs, err := lockGrantable(ctx, tx, ids, now, true)
		if err != nil {
			return err
		}
		n = len(rs)
		return s.grantTx(ctx, tx, rs, ViaAuto, now)
	})
	return n, err
}
