package rewards

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClaimRequest names the reward a player claims (CONTRACT.md §7). Division
// is optional: without it, the claim takes the user's rewards of every
// division board of the window.
type ClaimRequest struct {
	Context  string `json:"context"`
	ID       string `json:"id"`
	Window   string `json:"window"`
	Step     string `json:"step"`
	Division string `json:"division"`
}

// Claim grants the caller's reward named by req. It returns the reward and
// whether this call granted it (false: it was granted before). Errors:
// ErrNotFound, ErrExpired (past the claim window), ErrHeld (user on hold).
func (s *Store) Claim(ctx context.Context, user string, req ClaimRequest) (Reward, bool, error) {
	win, err := time.Parse(time.RFC3339, req.Window)
	if err != nil || (req.Context != ContextContest && req.Context != ContextMission) || req.ID == "" {
		return Reward{}, false, ErrNotFound
	}
	var (
		out     Reward
		granted bool
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+rewardColumns+` FROM rewards WHERE context = $1 AND ctx_id = $2
			AND window_start = $3 AND user_id = $4 AND step = $5 AND ($6 = '' OR division = $6)
			ORDER BY division FOR UPDATE`, req.Context, req.ID, win, user, req.Step, req.Division)
		if err != nil {
			return fmt.Errorf("rewards: claim: %w", err)
		}
		rs, err := collectRewards(rows)
		if err != nil {
			return err
		}
		out, granted, err = s.claimLocked(ctx, tx, user, rs)
		return err
	})
	return out, granted, err
}

// claimLocked decides a claim over the caller's locked rewards.
func (s *Store) claimLocked(ctx context.Context, tx pgx.Tx, user string, rs []Reward) (Reward, bool, error) {
	if len(rs) == 0 {
		return Reward{}, false, ErrNotFound
	}
	now := s.now()
	var held bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM holds WHERE user_id = $1)`, user).Scan(&held); err != nil {
		return Reward{}, false, fmt.Errorf("rewards: hold: %w", err)
	}
	flagged, err := flagHeldIDs(ctx, tx, rewardIDs(rs))
	if err != nil {
		return Reward{}, false, err
	}
	var due, done, late []Reward
	onHold := false
	for _, r := range rs {
		switch {
		case r.Status == StatusGranted:
			done = append(done, r)
		case r.Status == StatusHeld || (r.Status == StatusPending && (held || flagged[r.RewardID])):
			onHold = true
		case r.Status == StatusPending && (r.AutoGrant || r.ExpiresAt == nil || r.ExpiresAt.After(now)):
			due = append(due, r)
		case r.Status == StatusPending:
			r.Status = StatusExpired
			late = append(late, r)
		default: // expired
		}
	}
	if err := s.markExpired(ctx, tx, late, now); err != nil {
		return Reward{}, false, err
	}
	switch {
	case len(due) > 0:
		if err := s.grantTx(ctx, tx, due, ViaClaim, now); err != nil {
			return Reward{}, false, err
		}
		return due[0], true, nil
	case len(done) > 0:
		return done[0], false, nil
	case onHold:
		return Reward{}, false, ErrHeld
	}
	return Reward{}, false, ErrExpired
}

func (s *Store) markExpired(ctx context.Context, tx pgx.Tx, rs []Reward, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].RewardID
	}
	if _, err := tx.Exec(ctx, `UPDATE rewards SET status = 'expired' WHERE reward_id IN (SELECT unnest($1::text[]))`, ids); err != nil {
		return fmt.Errorf("rewards: expire: %w", err)
	}
	return s.history(ctx, tx, rs, now)
}

// ExpireDue marks the pending rewards whose claim window has passed as
// expired (auto-grant rewards do not expire). It returns how many.
func (s *Store) ExpireDue(ctx context.Context) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		rows, err := tx.Query(ctx, `UPDATE rewards SET status = 'expired' WHERE status = 'pending' AND NOT auto_grant
			AND expires_at <= $1 RETURNING `+rewardColumns, now)
		if err != nil {
			return fmt.Errorf("rewards: expire due: %w", err)
		}
		rs, err := collectRewards(rows)
		if err != nil {
			return err
		}
		n = len(rs)
		return s.history(ctx, tx, rs, now)
	})
	return n, err
}
