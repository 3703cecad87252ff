package rewards

import (
	"context"
	"encoding/json"
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
// is pending and its user not on hold; the unique keys of grants,
// ledger_postings and outbox refuse a second grant of a reward anyway.
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

// grantRows writes the grants rows, ledger postings, outbox messages and
// history rows of rewards whose status is (now) granted.
func (s *Store) grantRows(ctx context.Context, tx pgx.Tx, rs []Reward, via string, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"grants"}, []string{"reward_id", "via", "granted_at"},
		pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) { return []any{rs[i].RewardID, via, now}, nil })); err != nil {
		return fmt.Errorf("rewards: grants: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_postings"}, []string{"reward_id", "account", "amount_minor", "currency", "at"},
		pgx.CopyFromSlice(2*len(rs), func(i int) ([]any, error) {
			r := &rs[i/2]
			if i%2 == 0 {
				return []any{r.RewardID, r.PoolAccount(), r.AmountMinor, r.Currency, now}, nil
			}
			return []any{r.RewardID, PlayerAccount(r.User), -r.AmountMinor, r.Currency, now}, nil
		})); err != nil {
		return fmt.Errorf("rewards: ledger postings: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"outbox"}, []string{"reward_id", "subject", "jetstream", "body", "created_at"},
		pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
			body, err := json.Marshal(rs[i].Posting())
			return []any{rs[i].RewardID, PostingSubject(rs[i].User), true, body, now}, err
		})); err != nil {
		return fmt.Errorf("rewards: outbox: %w", err)
	}
	return s.history(ctx, tx, rs, now)
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
